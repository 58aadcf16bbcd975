-- Exact search terms for lists; db/queries/predicates.ts (filterTerm) builds the same strings.
-- One GIN index then intersects type, visibility, status, tags and metadata at once, with no
-- rows to recheck. A metadata term carries its key's length: no key or value can make two
-- pairs collide. Keys, values and tags are at most 255 characters (validation), well under the
-- size a GIN entry may have.
CREATE FUNCTION artifact_filter_terms(type_name text, visibility text, status text, tags text[], metadata jsonb)
RETURNS text[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT ARRAY['type:' || type_name, 'visibility:' || visibility, 'status:' || status]
    || ARRAY(SELECT 'tag:' || t FROM unnest(tags) AS t)
    || ARRAY(SELECT 'metadata:' || char_length(e.key) || ':' || e.key || '=' || e.value FROM jsonb_each_text(metadata) AS e)
$$;--> statement-breakpoint
DROP INDEX "artifacts_tags_idx";--> statement-breakpoint
ALTER TABLE "artifacts" ADD COLUMN "filter_terms" text[] GENERATED ALWAYS AS (artifact_filter_terms(type_name, visibility, status, tags, metadata)) STORED;--> statement-breakpoint
CREATE INDEX "artifacts_filter_terms_idx" ON "artifacts" USING gin ("filter_terms");