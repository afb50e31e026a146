CREATE TABLE `ttp_rule_fires_minute` (
	`worker_id` text NOT NULL,
	`rule_id` text NOT NULL,
	`minute` integer NOT NULL,
	`fires` integer NOT NULL,
	PRIMARY KEY(`worker_id`, `rule_id`, `minute`),
	FOREIGN KEY (`worker_id`) REFERENCES `ttp_worker`(`worker_id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `ttp_rule_fires_minute_rule_id_minute_idx` ON `ttp_rule_fires_minute` (`rule_id`,`minute`);--> statement-breakpoint
CREATE INDEX `ttp_rule_fires_minute_minute_idx` ON `ttp_rule_fires_minute` (`minute`);--> statement-breakpoint
ALTER TABLE `ttp_worker` ADD `input_kind` text;--> statement-breakpoint
ALTER TABLE `ttp_worker` ADD `nats_stream` text;--> statement-breakpoint
ALTER TABLE `ttp_worker` ADD `nats_durable` text;--> statement-breakpoint
ALTER TABLE `ttp_worker` ADD `nats_pending` integer;