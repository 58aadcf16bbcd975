CREATE TABLE "federation_enrolment_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"token_hash" text NOT NULL,
	"permissions" text[] NOT NULL,
	"project_id" text,
	"note" text DEFAULT '' NOT NULL,
	"created_by" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"used_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "federation_enrolment_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "federation_peers" (
	"relation" text NOT NULL,
	"node_id" text NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"url" text,
	"permissions" text[] NOT NULL,
	"project_id" text,
	"status" text DEFAULT 'active' NOT NULL,
	"keys" jsonb NOT NULL,
	"keys_issued_at" timestamp with time zone,
	"timeout_ms" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "federation_peers_relation_node_id_pk" PRIMARY KEY("relation","node_id")
);
--> statement-breakpoint
CREATE TABLE "node_identity" (
	"singleton" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"node_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "node_keys" (
	"kid" text PRIMARY KEY NOT NULL,
	"public_jwk" jsonb NOT NULL,
	"private_jwk" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"retires_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "node_identity" ADD CONSTRAINT "node_identity_one_row" CHECK ("singleton");
