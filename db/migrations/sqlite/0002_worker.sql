CREATE TABLE `ttp_rule_stats` (
	`worker_id` text NOT NULL,
	`rule_id` text NOT NULL,
	`fires` integer NOT NULL,
	`recent_fires` integer NOT NULL,
	`last_fired_at` text,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`worker_id`, `rule_id`),
	FOREIGN KEY (`worker_id`) REFERENCES `ttp_worker`(`worker_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `ttp_rule_stats_rule_id_idx` ON `ttp_rule_stats` (`rule_id`);--> statement-breakpoint
CREATE TABLE `ttp_tag` (
	`uuid` text PRIMARY KEY NOT NULL,
	`source_kind` text NOT NULL,
	`source_id` text NOT NULL,
	`attacker_uuid` text,
	`identity_uuid` text,
	`session_id` text,
	`decky_id` text,
	`tactic` text NOT NULL,
	`technique_id` text NOT NULL,
	`sub_technique_id` text,
	`confidence` real NOT NULL,
	`rule_id` text NOT NULL,
	`rule_version` integer NOT NULL,
	`evidence` text NOT NULL,
	`worker_id` text,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `ttp_tag_rule_id_created_at_idx` ON `ttp_tag` (`rule_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `ttp_tag_attacker_uuid_idx` ON `ttp_tag` (`attacker_uuid`);--> statement-breakpoint
CREATE INDEX `ttp_tag_created_at_idx` ON `ttp_tag` (`created_at`);--> statement-breakpoint
CREATE TABLE `ttp_worker` (
	`worker_id` text PRIMARY KEY NOT NULL,
	`role` text NOT NULL,
	`hostname` text NOT NULL,
	`pid` integer NOT NULL,
	`status` text NOT NULL,
	`applied_seq` integer,
	`head_seq` integer,
	`rule_count` integer NOT NULL,
	`events_total` integer NOT NULL,
	`tags_total` integer NOT NULL,
	`malformed_total` integer NOT NULL,
	`report_interval_ms` integer NOT NULL,
	`started_at` text NOT NULL,
	`last_seen_at` text NOT NULL,
	CONSTRAINT "ttp_worker_role_check" CHECK("ttp_worker"."role" IN ('master', 'worker')),
	CONSTRAINT "ttp_worker_status_check" CHECK("ttp_worker"."status" IN ('ok', 'stale', 'error', 'stopped'))
);
--> statement-breakpoint
CREATE INDEX `ttp_worker_last_seen_at_idx` ON `ttp_worker` (`last_seen_at`);