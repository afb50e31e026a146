CREATE TABLE "ttp_rule_fires_minute" (
	"worker_id" text NOT NULL,
	"rule_id" text NOT NULL,
	"minute" integer NOT NULL,
	"fires" bigint NOT NULL,
	CONSTRAINT "ttp_rule_fires_minute_worker_id_rule_id_minute_pk" PRIMARY KEY("worker_id","rule_id","minute")
);
--> statement-breakpoint
ALTER TABLE "ttp_worker" ADD COLUMN "input_kind" text;--> statement-breakpoint
ALTER TABLE "ttp_worker" ADD COLUMN "nats_stream" text;--> statement-breakpoint
ALTER TABLE "ttp_worker" ADD COLUMN "nats_durable" text;--> statement-breakpoint
ALTER TABLE "ttp_worker" ADD COLUMN "nats_pending" bigint;--> statement-breakpoint
ALTER TABLE "ttp_rule_fires_minute" ADD CONSTRAINT "ttp_rule_fires_minute_worker_id_ttp_worker_worker_id_fk" FOREIGN KEY ("worker_id") REFERENCES "public"."ttp_worker"("worker_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ttp_rule_fires_minute_rule_id_minute_idx" ON "ttp_rule_fires_minute" USING btree ("rule_id","minute");--> statement-breakpoint
CREATE INDEX "ttp_rule_fires_minute_minute_idx" ON "ttp_rule_fires_minute" USING btree ("minute");