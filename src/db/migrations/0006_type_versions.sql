CREATE TABLE "type_upgrades" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type_name" text NOT NULL,
	"target_version" text NOT NULL,
	"dry_run" boolean NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"processed" integer DEFAULT 0 NOT NULL,
	"changed" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"failures" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"cursor" uuid,
	"starts" integer DEFAULT 1 NOT NULL,
	"error" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "type_upgrades_one_unfinished_per_type" ON "type_upgrades" USING btree ("type_name") WHERE not dry_run and status in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "type_upgrades_type_created_idx" ON "type_upgrades" USING btree ("type_name","created_at");--> statement-breakpoint
CREATE INDEX "artifacts_type_version_idx" ON "artifacts" USING btree ("type_name","type_version");