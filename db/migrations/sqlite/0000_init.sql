CREATE TABLE `ttp_change` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`rule_id` text NOT NULL,
	`kind` text NOT NULL,
	`actor` text NOT NULL,
	`at` text NOT NULL,
	`reason` text,
	`auto_revert` integer DEFAULT false NOT NULL,
	`before` text,
	`after` text,
	CONSTRAINT "ttp_change_kind_check" CHECK("ttp_change"."kind" IN ('definition', 'deleted', 'state'))
);
--> statement-breakpoint
CREATE INDEX `ttp_change_rule_id_seq_idx` ON `ttp_change` (`rule_id`,`seq`);--> statement-breakpoint
CREATE INDEX `ttp_change_kind_at_idx` ON `ttp_change` (`kind`,`at`);--> statement-breakpoint
CREATE TABLE `ttp_rule` (
	`rule_id` text PRIMARY KEY NOT NULL,
	`rule_version` integer NOT NULL,
	`name` text NOT NULL,
	`source_path` text,
	`yaml_content` text NOT NULL,
	`origin` text NOT NULL,
	`revision` integer NOT NULL,
	`updated_at` text NOT NULL,
	`updated_by` text,
	CONSTRAINT "ttp_rule_origin_check" CHECK("ttp_rule"."origin" IN ('filesystem', 'dashboard', 'import')),
	CONSTRAINT "ttp_rule_revision_check" CHECK("ttp_rule"."revision" >= 1)
);
--> statement-breakpoint
CREATE TABLE `ttp_rule_state` (
	`rule_id` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`confidence_max` real,
	`expires_at` text,
	`reason` text,
	`set_by` text,
	`set_at` text,
	`revision` integer NOT NULL,
	FOREIGN KEY (`rule_id`) REFERENCES `ttp_rule`(`rule_id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "ttp_rule_state_state_check" CHECK("ttp_rule_state"."state" IN ('enabled', 'disabled', 'clipped')),
	CONSTRAINT "ttp_rule_state_confidence_max_check" CHECK("ttp_rule_state"."confidence_max" IS NULL OR ("ttp_rule_state"."confidence_max" >= 0 AND "ttp_rule_state"."confidence_max" <= 1))
);
--> statement-breakpoint
CREATE INDEX `ttp_rule_state_expires_at_idx` ON `ttp_rule_state` (`expires_at`) WHERE "ttp_rule_state"."expires_at" IS NOT NULL;