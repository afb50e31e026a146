CREATE TABLE "ttp_login_throttle" (
	"key" text PRIMARY KEY NOT NULL,
	"points" integer DEFAULT 0 NOT NULL,
	"expire" bigint
);
--> statement-breakpoint
CREATE INDEX "ttp_login_throttle_expire_idx" ON "ttp_login_throttle" USING btree ("expire");