CREATE TABLE "artifact_origins" (
	"artifact_id" uuid PRIMARY KEY NOT NULL,
	"upstream_node_id" text NOT NULL,
	"upstream_artifact_id" uuid NOT NULL,
	"manifest_sha256" text NOT NULL,
	"chain" jsonb NOT NULL,
	"pull_id" text,
	"pulled_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "federation_pulls" (
	"id" text PRIMARY KEY NOT NULL,
	"upstream_node_id" text NOT NULL,
	"artifact_ids" text[] NOT NULL,
	"requested_by" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"transfers" integer DEFAULT 0 NOT NULL,
	"bytes_done" bigint DEFAULT 0 NOT NULL,
	"bytes_total" bigint,
	"result" jsonb,
	"error" text,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "artifact_origins" ADD CONSTRAINT "artifact_origins_artifact_id_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."artifacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "artifact_origins_upstream_unique" ON "artifact_origins" USING btree ("upstream_node_id","upstream_artifact_id");