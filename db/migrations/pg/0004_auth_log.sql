CREATE TABLE "ttp_auth_log" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp(3) with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"username" text NOT NULL,
	"detail" text
);
--> statement-breakpoint
CREATE INDEX "ttp_auth_log_username_idx" ON "ttp_auth_log" USING btree ("username");