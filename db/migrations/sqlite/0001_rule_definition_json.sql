ALTER TABLE `ttp_rule` ADD `definition` text;--> statement-breakpoint
ALTER TABLE `ttp_rule` ADD `definition_sha256` text;