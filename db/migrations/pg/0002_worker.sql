CREATE TABLE "ttp_rule_stats" (
	"worker_id" text NOT NULL,
	"rule_id" text NOT NULL,
	"fires" bigint NOT NULL,
	"recent_fires" bigint NOT NULL,
	"last_fired_at" timestamp(3) with time zone,
	"updated_at" timestamp(3) with time zone NOT NULL,
	CONSTRAINT "ttp_rule_stats_worker_id_rule_id_pk" PRIMARY KEY("worker_id","rule_id")
);
--> statement-breakpoint
CREATE TABLE "ttp_tag" (
	"uuid" text PRIMARY KEY NOT NULL,
	"source_kind" text NOT NULL,
	"source_id" text NOT NULL,
	"attacker_uuid" text,
	"identity_uuid" text,
	"session_id" text,
	"decky_id" text,
	"tactic" text NOT NULL,
	"technique_id" text NOT NULL,
	"sub_technique_id" text,
	"confidence" double precision NOT NULL,
	"rule_id" text NOT NULL,
	"rule_version" integer NOT NULL,
	"evidence" text NOT NULL,
	"worker_id" text,
	"created_at" timestamp(3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ttp_worker" (
	"worker_id" text PRIMARY KEY NOT NULL,
	"role" text NOT NULL,
	"hostname" text NOT NULL,
	"pid" integer NOT NULL,
	"status" text NOT NULL,
	"applied_seq" bigint,
	"head_seq" bigint,
	"rule_count" integer NOT NULL,
	"events_total" bigint NOT NULL,
	"tags_total" bigint NOT NULL,
	"malformed_total" bigint NOT NULL,
	"report_interval_ms" integer NOT NULL,
	"started_at" timestamp(3) with time zone NOT NULL,
	"last_seen_at" timestamp(3) with time zone NOT NULL,
	CONSTRAINT "ttp_worker_role_check" CHECK ("ttp_worker"."role" IN ('master', 'worker')),
	CONSTRAINT "ttp_worker_status_check" CHECK ("ttp_worker"."status" IN ('ok', 'stale', 'error', 'stopped'))
);
--> statement-breakpoint
ALTER TABLE "ttp_rule_stats" ADD CONSTRAINT "ttp_rule_stats_worker_id_ttp_worker_worker_id_fk" FOREIGN KEY ("worker_id") REFERENCES "public"."ttp_worker"("worker_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ttp_rule_stats_rule_id_idx" ON "ttp_rule_stats" USING btree ("rule_id");--> statement-breakpoint
CREATE INDEX "ttp_tag_rule_id_created_at_idx" ON "ttp_tag" USING btree ("rule_id","created_at");--> statement-breakpoint
CREATE INDEX "ttp_tag_attacker_uuid_idx" ON "ttp_tag" USING btree ("attacker_uuid");--> statement-breakpoint
CREATE INDEX "ttp_tag_created_at_idx" ON "ttp_tag" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "ttp_worker_last_seen_at_idx" ON "ttp_worker" USING btree ("last_seen_at");