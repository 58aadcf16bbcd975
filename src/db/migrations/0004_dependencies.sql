CREATE TABLE "artifact_references" (
	"from_id" uuid NOT NULL,
	"field" text NOT NULL,
	"key" text DEFAULT '' NOT NULL,
	"link" text NOT NULL,
	"target_id" uuid,
	"target_origin" text,
	"target_type" text,
	"target_owner" text,
	"target_name" text,
	"target_version" text,
	"broken" text,
	CONSTRAINT "artifact_references_from_id_field_key_pk" PRIMARY KEY("from_id","field","key")
);
--> statement-breakpoint
ALTER TABLE "artifacts" ADD COLUMN "requires" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "artifact_references" ADD CONSTRAINT "artifact_references_from_id_artifacts_id_fk" FOREIGN KEY ("from_id") REFERENCES "public"."artifacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "artifact_references_target_idx" ON "artifact_references" USING btree ("target_id");--> statement-breakpoint
CREATE INDEX "artifacts_requires_idx" ON "artifacts" USING gin ("requires" jsonb_path_ops);--> statement-breakpoint
-- Murano packages kept their manifest's Require as a {full name: range} dict among their own fields;
-- it is now the generic `requires` list.
UPDATE "artifacts" SET
  "requires" = (SELECT coalesce(jsonb_agg(jsonb_build_object('type', 'murano_packages', 'name', r.key, 'range', r.value) ORDER BY r.key), '[]'::jsonb) FROM jsonb_each_text("fields" -> 'requires') r),
  "fields" = "fields" - 'requires'
WHERE "type_name" = 'murano_packages' AND jsonb_typeof("fields" -> 'requires') = 'object';--> statement-breakpoint
-- Internal links already held become reference rows (external URLs cannot be told from other text
-- here; they get their rows when their artifact next changes).
INSERT INTO "artifact_references" ("from_id", "field", "key", "link", "target_id", "target_type", "target_owner", "target_name", "target_version")
SELECT held.from_id, held.field, held.key, held.link, lower(substring(held.link from '([0-9a-fA-F-]{36})$'))::uuid, t.type_name, t.owner, t.name, t.version
FROM (
  SELECT a.id AS from_id, f.key AS field, '' AS key, f.value #>> '{}' AS link FROM "artifacts" a, jsonb_each(a."fields") f WHERE jsonb_typeof(f.value) = 'string'
  UNION ALL
  SELECT a.id, f.key, (e.ordinality - 1)::text, e.value #>> '{}' FROM "artifacts" a, jsonb_each(a."fields") f, jsonb_array_elements(f.value) WITH ORDINALITY e(value, ordinality) WHERE jsonb_typeof(f.value) = 'array' AND jsonb_typeof(e.value) = 'string'
  UNION ALL
  SELECT a.id, f.key, d.key, d.value #>> '{}' FROM "artifacts" a, jsonb_each(a."fields") f, jsonb_each(f.value) d WHERE jsonb_typeof(f.value) = 'object' AND jsonb_typeof(d.value) = 'string'
) held
LEFT JOIN "artifacts" t ON t.id = lower(substring(held.link from '([0-9a-fA-F-]{36})$'))::uuid
WHERE held.link ~ '^/artifacts/[a-z][a-z0-9_]{0,63}/[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
ON CONFLICT DO NOTHING;
