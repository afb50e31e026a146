ALTER TABLE "ttp_rule" ADD COLUMN "definition" text;--> statement-breakpoint
ALTER TABLE "ttp_rule" ADD COLUMN "definition_sha256" text;