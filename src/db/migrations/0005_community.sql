CREATE TABLE "artifact_comments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"type_name" text NOT NULL,
	"owner" text NOT NULL,
	"name" text NOT NULL,
	"author_id" text NOT NULL,
	"author_project" text NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"edited_at" timestamp with time zone,
	"hidden_at" timestamp with time zone,
	"hidden_by" text
);
--> statement-breakpoint
CREATE TABLE "artifact_download_days" (
	"artifact_id" uuid NOT NULL,
	"day" date NOT NULL,
	"downloads" bigint NOT NULL,
	CONSTRAINT "artifact_download_days_artifact_id_day_pk" PRIMARY KEY("artifact_id","day")
);
--> statement-breakpoint
CREATE TABLE "artifact_download_totals" (
	"artifact_id" uuid PRIMARY KEY NOT NULL,
	"downloads" bigint NOT NULL,
	"last_download_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "artifact_rating_totals" (
	"type_name" text NOT NULL,
	"owner" text NOT NULL,
	"name" text NOT NULL,
	"score_sum" bigint NOT NULL,
	"ratings" bigint NOT NULL,
	CONSTRAINT "artifact_rating_totals_type_name_owner_name_pk" PRIMARY KEY("type_name","owner","name")
);
--> statement-breakpoint
CREATE TABLE "artifact_ratings" (
	"type_name" text NOT NULL,
	"owner" text NOT NULL,
	"name" text NOT NULL,
	"user_id" text NOT NULL,
	"score" smallint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "artifact_ratings_type_name_owner_name_user_id_pk" PRIMARY KEY("type_name","owner","name","user_id"),
	CONSTRAINT "artifact_ratings_score_range" CHECK ("artifact_ratings"."score" between 1 and 5)
);
--> statement-breakpoint
ALTER TABLE "artifact_download_days" ADD CONSTRAINT "artifact_download_days_artifact_id_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."artifacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "artifact_download_totals" ADD CONSTRAINT "artifact_download_totals_artifact_id_artifacts_id_fk" FOREIGN KEY ("artifact_id") REFERENCES "public"."artifacts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "artifact_comments_name_created_idx" ON "artifact_comments" USING btree ("type_name","owner","name","created_at","id");--> statement-breakpoint
CREATE INDEX "artifact_download_totals_downloads_idx" ON "artifact_download_totals" USING btree ("downloads");