-- Relevance tiers for `q=` (db/queries/predicates.ts SEARCH_TIERS): the words within the name and
-- display name (weight A), within those and the tags and keywords (A, B), adding the provider
-- (A, B, C); else anywhere (search_vector's own index). artifact_search_tier is ts_filter, in
-- plpgsql so that it is not inlined and keeps its COST: at ts_filter's own cost the planner walks
-- the newest-first index and filters every row (3,300 rows for a page of a 1% tier, 14-65 ms)
-- where the tier's index reads its 1,280 rows in 7 ms. Lists sorted by downloads or rating walk
-- the totals in order (db/queries/list-parts.ts).
CREATE FUNCTION artifact_search_tier(vector tsvector, weights "char"[])
RETURNS tsvector LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$
BEGIN
  RETURN ts_filter(vector, weights);
END
$$;--> statement-breakpoint
DROP INDEX "artifact_download_totals_downloads_idx";--> statement-breakpoint
CREATE INDEX "artifacts_search_name_idx" ON "artifacts" USING gin (artifact_search_tier(search_vector, '{a}'::"char"[]));--> statement-breakpoint
CREATE INDEX "artifacts_search_name_tags_idx" ON "artifacts" USING gin (artifact_search_tier(search_vector, '{a,b}'::"char"[]));--> statement-breakpoint
CREATE INDEX "artifacts_search_name_tags_provider_idx" ON "artifacts" USING gin (artifact_search_tier(search_vector, '{a,b,c}'::"char"[]));--> statement-breakpoint
CREATE INDEX "artifact_rating_totals_average_idx" ON "artifact_rating_totals" USING btree ((score_sum::double precision / ratings)) WHERE ratings > 0;--> statement-breakpoint
CREATE INDEX "artifact_download_totals_downloads_idx" ON "artifact_download_totals" USING btree ("downloads","artifact_id");