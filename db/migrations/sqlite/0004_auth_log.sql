CREATE TABLE `ttp_auth_log` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` text NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`username` text NOT NULL,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `ttp_auth_log_username_idx` ON `ttp_auth_log` (`username`);