CREATE TABLE "federation_subscriptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"relation" text DEFAULT 'upstream' NOT NULL,
	"upstream_node_id" text NOT NULL,
	"filters" jsonb NOT NULL,
	"every_minutes" integer NOT NULL,
	"note" text DEFAULT '' NOT NULL,
	"created_by" text NOT NULL,
	"last_sync_at" timestamp with time zone,
	"last_status" text,
	"last_result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "federation_subscriptions_every" CHECK ("federation_subscriptions"."every_minutes" >= 1)
);
--> statement-breakpoint
ALTER TABLE "federation_subscriptions" ADD CONSTRAINT "federation_subscriptions_relation_upstream_node_id_federation_peers_relation_node_id_fk" FOREIGN KEY ("relation","upstream_node_id") REFERENCES "public"."federation_peers"("relation","node_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "federation_subscriptions_upstream" ON "federation_subscriptions" USING btree ("upstream_node_id");