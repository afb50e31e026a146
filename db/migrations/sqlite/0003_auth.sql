CREATE TABLE `ttp_api_token` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`label` text NOT NULL,
	`created_at` text NOT NULL,
	`last_used_at` text,
	FOREIGN KEY (`user_id`) REFERENCES `ttp_user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `ttp_api_token_user_id_idx` ON `ttp_api_token` (`user_id`);--> statement-breakpoint
CREATE TABLE `ttp_session` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `ttp_user`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `ttp_session_user_id_idx` ON `ttp_session` (`user_id`);--> statement-breakpoint
CREATE TABLE `ttp_user` (
	`id` text PRIMARY KEY NOT NULL,
	`username` text NOT NULL,
	`password_hash` text NOT NULL,
	`role` text NOT NULL,
	`created_at` text NOT NULL,
	`created_by` text,
	CONSTRAINT "ttp_user_role_check" CHECK("ttp_user"."role" IN ('viewer', 'admin'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ttp_user_username_unique` ON `ttp_user` (`username`);