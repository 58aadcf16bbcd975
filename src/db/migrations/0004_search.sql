-- The document `q=` searches (db/queries/predicates.ts builds the queries). Weights: A name and
-- display name (metadata display_name), B tags and keywords (metadata keywords), C the provider
-- (provided_by name and company), D the description; ts_rank then puts a name match above a
-- description match. Names are also split at punctuation and lower/upper case boundaries, so
-- com.example.apps.SimpleWebApp is found by "simple" or "web". English stemming, so "servers"
-- finds "server"; queries stem the same way.
CREATE FUNCTION artifact_search_vector(name text, description text, tags text[], metadata jsonb, provided_by jsonb)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT
    setweight(to_tsvector('english'::regconfig,
      name || ' ' || regexp_replace(regexp_replace(name, '([[:lower:][:digit:]])([[:upper:]])', '\1 \2', 'g'), '[^[:alnum:]]+', ' ', 'g')
      || ' ' || coalesce(metadata ->> 'display_name', '')), 'A')
    || setweight(to_tsvector('english'::regconfig, array_to_string(tags, ' ') || ' ' || coalesce(metadata ->> 'keywords', '')), 'B')
    || setweight(to_tsvector('english'::regconfig, coalesce(provided_by ->> 'name', '') || ' ' || coalesce(provided_by ->> 'company', '')), 'C')
    || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'D')
$$;--> statement-breakpoint
ALTER TABLE "artifacts" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (artifact_search_vector(name, description, tags, metadata, provided_by)) STORED;--> statement-breakpoint
CREATE INDEX "artifacts_search_vector_idx" ON "artifacts" USING gin ("search_vector");