CREATE TABLE "federation_incoming_submissions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"child_node_id" text NOT NULL,
	"project_id" text NOT NULL,
	"type_name" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"artifact_id" uuid NOT NULL,
	"source_id" text NOT NULL,
	"created_artifact_ids" uuid[] NOT NULL,
	"state" text NOT NULL,
	"reason" text DEFAULT '' NOT NULL,
	"reviewed_by" text,
	"reviewed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "federation_incoming_submissions_root" UNIQUE("child_node_id","type_name","name","version")
);
--> statement-breakpoint
CREATE TABLE "federation_outgoing_submissions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"upstream_node_id" text NOT NULL,
	"artifact_id" uuid NOT NULL,
	"type_name" text NOT NULL,
	"name" text NOT NULL,
	"version" text NOT NULL,
	"include_private" boolean DEFAULT false NOT NULL,
	"requested_by" text NOT NULL,
	"requested_by_project" text NOT NULL,
	"state" text NOT NULL,
	"message" text DEFAULT '' NOT NULL,
	"remote_id" text,
	"remote_artifact_id" text,
	"sent_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "federation_outgoing_submissions_target" UNIQUE("upstream_node_id","artifact_id")
);
--> statement-breakpoint
CREATE INDEX "federation_incoming_submissions_state" ON "federation_incoming_submissions" USING btree ("state","created_at");