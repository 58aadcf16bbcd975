CREATE TABLE "artifact_signatures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"artifact_id" uuid NOT NULL,
	"project" text NOT NULL,
	"kid" text NOT NULL,
	"jws" text NOT NULL,
	"manifest" jsonb NOT NULL,
	"manifest_sha256" text NOT NULL,
	"signed_at" timestamp with time zone NOT NULL,
	"attached_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "developer_keys" (
	"project" text NOT NULL,
	"kid" text NOT NULL,
	"name" text DEFAULT '' NOT NULL,
	"alg" text NOT NULL,
	"jwk" jsonb NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	"revocation_reason" text,
	"revoked_by" text,
	CONSTRAINT "developer_keys_project_kid_pk" PRIMARY KEY("project","kid")
);
--> statement-breakpoint
ALTER TABLE "artifact_signatures" ADD CONSTRAINT "artifact_signatures_artifact_id_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."artifacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifact_signatures" ADD CONSTRAINT "artifact_signatures_key_fk" FOREIGN KEY ("project","kid") REFERENCES "public"."developer_keys"("project","kid") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "artifact_signatures_once_unique" ON "artifact_signatures" USING btree ("artifact_id","project","kid","manifest_sha256");--> statement-breakpoint
CREATE INDEX "artifact_signatures_key_idx" ON "artifact_signatures" USING btree ("project","kid");