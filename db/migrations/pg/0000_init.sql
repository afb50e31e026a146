CREATE TABLE "ttp_change" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"rule_id" text NOT NULL,
	"kind" text NOT NULL,
	"actor" text NOT NULL,
	"at" timestamp(3) with time zone NOT NULL,
	"reason" text,
	"auto_revert" boolean DEFAULT false NOT NULL,
	"before" text,
	"after" text,
	CONSTRAINT "ttp_change_kind_check" CHECK ("ttp_change"."kind" IN ('definition', 'deleted', 'state'))
);
--> statement-breakpoint
CREATE TABLE "ttp_rule" (
	"rule_id" text PRIMARY KEY NOT NULL,
	"rule_version" integer NOT NULL,
	"name" text NOT NULL,
	"source_path" text,
	"yaml_content" text NOT NULL,
	"origin" text NOT NULL,
	"revision" integer NOT NULL,
	"updated_at" timestamp(3) with time zone NOT NULL,
	"updated_by" text,
	CONSTRAINT "ttp_rule_origin_check" CHECK ("ttp_rule"."origin" IN ('filesystem', 'dashboard', 'import')),
	CONSTRAINT "ttp_rule_revision_check" CHECK ("ttp_rule"."revision" >= 1)
);
--> statement-breakpoint
CREATE TABLE "ttp_rule_state" (
	"rule_id" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"confidence_max" double precision,
	"expires_at" timestamp(3) with time zone,
	"reason" text,
	"set_by" text,
	"set_at" timestamp(3) with time zone,
	"revision" integer NOT NULL,
	CONSTRAINT "ttp_rule_state_state_check" CHECK ("ttp_rule_state"."state" IN ('enabled', 'disabled', 'clipped')),
	CONSTRAINT "ttp_rule_state_confidence_max_check" CHECK ("ttp_rule_state"."confidence_max" IS NULL OR ("ttp_rule_state"."confidence_max" >= 0 AND "ttp_rule_state"."confidence_max" <= 1))
);
--> statement-breakpoint
ALTER TABLE "ttp_rule_state" ADD CONSTRAINT "ttp_rule_state_rule_id_ttp_rule_rule_id_fk" FOREIGN KEY ("rule_id") REFERENCES "public"."ttp_rule"("rule_id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ttp_change_rule_id_seq_idx" ON "ttp_change" USING btree ("rule_id","seq");--> statement-breakpoint
CREATE INDEX "ttp_change_kind_at_idx" ON "ttp_change" USING btree ("kind","at");--> statement-breakpoint
CREATE INDEX "ttp_rule_state_expires_at_idx" ON "ttp_rule_state" USING btree ("expires_at") WHERE "ttp_rule_state"."expires_at" IS NOT NULL;