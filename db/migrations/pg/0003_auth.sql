CREATE TABLE "ttp_api_token" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"label" text NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL,
	"last_used_at" timestamp(3) with time zone
);
--> statement-breakpoint
CREATE TABLE "ttp_session" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL,
	"expires_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ttp_user" (
	"id" text PRIMARY KEY NOT NULL,
	"username" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text NOT NULL,
	"created_at" timestamp(3) with time zone NOT NULL,
	"created_by" text,
	CONSTRAINT "ttp_user_username_unique" UNIQUE("username"),
	CONSTRAINT "ttp_user_role_check" CHECK ("ttp_user"."role" IN ('viewer', 'admin'))
);
--> statement-breakpoint
ALTER TABLE "ttp_api_token" ADD CONSTRAINT "ttp_api_token_user_id_ttp_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."ttp_user"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ttp_session" ADD CONSTRAINT "ttp_session_user_id_ttp_user_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."ttp_user"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ttp_api_token_user_id_idx" ON "ttp_api_token" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "ttp_session_user_id_idx" ON "ttp_session" USING btree ("user_id");