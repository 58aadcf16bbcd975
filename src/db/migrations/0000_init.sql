CREATE TABLE "artifact_shares" (
	"artifact_id" uuid NOT NULL,
	"project" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "artifact_shares_artifact_id_project_pk" PRIMARY KEY("artifact_id","project")
);
--> statement-breakpoint
CREATE TABLE "artifacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type_name" text NOT NULL,
	"type_version" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"version_major" bigint NOT NULL,
	"version_minor" bigint NOT NULL,
	"version_patch" bigint NOT NULL,
	"version_prerelease" text,
	"version_key" text COLLATE "C" NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"owner" text NOT NULL,
	"visibility" text DEFAULT 'private' NOT NULL,
	"status" text DEFAULT 'drafted' NOT NULL,
	"provided_by" jsonb,
	"supported_by" jsonb,
	"license" text,
	"license_url" text,
	"release" text[] DEFAULT '{}'::text[] NOT NULL,
	"fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "artifact_blobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"artifact_id" uuid NOT NULL,
	"field" text NOT NULL,
	"key" text DEFAULT '' NOT NULL,
	"status" text NOT NULL,
	"external" boolean DEFAULT false NOT NULL,
	"url" text,
	"size" bigint,
	"md5" text,
	"sha1" text,
	"sha256" text,
	"content_type" text,
	"store" text,
	"locator" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "quotas" (
	"project_id" text NOT NULL,
	"quota_name" text NOT NULL,
	"type_name" text DEFAULT '' NOT NULL,
	"value" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "quotas_project_id_quota_name_type_name_pk" PRIMARY KEY("project_id","quota_name","type_name")
);
--> statement-breakpoint
ALTER TABLE "artifact_shares" ADD CONSTRAINT "artifact_shares_artifact_id_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."artifacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifact_blobs" ADD CONSTRAINT "artifact_blobs_artifact_id_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."artifacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "artifact_shares_project_idx" ON "artifact_shares" USING btree ("project","artifact_id");--> statement-breakpoint
CREATE UNIQUE INDEX "artifacts_owner_name_version_unique" ON "artifacts" USING btree ("type_name","owner","name","version");--> statement-breakpoint
CREATE INDEX "artifacts_type_name_version_idx" ON "artifacts" USING btree ("type_name","name","version_key");--> statement-breakpoint
CREATE INDEX "artifacts_type_created_idx" ON "artifacts" USING btree ("type_name","created_at","id");--> statement-breakpoint
CREATE INDEX "artifacts_name_version_idx" ON "artifacts" USING btree ("name","version_key");--> statement-breakpoint
CREATE INDEX "artifacts_owner_idx" ON "artifacts" USING btree ("owner");--> statement-breakpoint
CREATE INDEX "artifacts_tags_idx" ON "artifacts" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "artifacts_metadata_idx" ON "artifacts" USING gin ("metadata");--> statement-breakpoint
CREATE UNIQUE INDEX "artifact_blobs_slot_unique" ON "artifact_blobs" USING btree ("artifact_id","field","key");--> statement-breakpoint
CREATE INDEX "artifact_blobs_locator_idx" ON "artifact_blobs" USING btree ("store","locator");