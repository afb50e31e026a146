import { sql } from "drizzle-orm";
import { check, index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

// Instants are ISO-8601 UTC text (`Date#toISOString()`, fixed width), so text order is time order.

export const ttpRule = sqliteTable(
  "ttp_rule",
  {
    ruleId: text("rule_id").primaryKey(),
    ruleVersion: integer("rule_version").notNull(),
    name: text("name").notNull(),
    sourcePath: text("source_path"),
    yamlContent: text("yaml_content").notNull(),
    origin: text("origin", { enum: ["filesystem", "dashboard", "import"] }).notNull(),
    revision: integer("revision").notNull(),
    updatedAt: text("updated_at").notNull(),
    updatedBy: text("updated_by"),
    // Derived, never the source of truth: the compiled rule as JSON (lib/rules/definition.ts) so
    // bulk loads skip YAML parsing, used only while definition_sha256 matches yaml_content.
    definition: text("definition"),
    definitionSha256: text("definition_sha256"),
  },
  (t) => [
    check("ttp_rule_origin_check", sql`${t.origin} IN ('filesystem', 'dashboard', 'import')`),
    check("ttp_rule_revision_check", sql`${t.revision} >= 1`),
  ],
);

export const ttpRuleState = sqliteTable(
  "ttp_rule_state",
  {
    ruleId: text("rule_id")
      .primaryKey()
      .references(() => ttpRule.ruleId, { onDelete: "cascade" }),
    state: text("state", { enum: ["enabled", "disabled", "clipped"] }).notNull(),
    confidenceMax: real("confidence_max"),
    expiresAt: text("expires_at"),
    reason: text("reason"),
    setBy: text("set_by"),
    setAt: text("set_at"),
    revision: integer("revision").notNull(),
  },
  (t) => [
    check("ttp_rule_state_state_check", sql`${t.state} IN ('enabled', 'disabled', 'clipped')`),
    check(
      "ttp_rule_state_confidence_max_check",
      sql`${t.confidenceMax} IS NULL OR (${t.confidenceMax} >= 0 AND ${t.confidenceMax} <= 1)`,
    ),
    // "Nearest expiry" is min(expires_at) over this partial index: one index probe.
    index("ttp_rule_state_expires_at_idx").on(t.expiresAt).where(sql`${t.expiresAt} IS NOT NULL`),
  ],
);

export const ttpChange = sqliteTable(
  "ttp_change",
  {
    // AUTOINCREMENT: a seq is never reused, even after the newest row is deleted.
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    ruleId: text("rule_id").notNull(),
    kind: text("kind", { enum: ["definition", "deleted", "state"] }).notNull(),
    actor: text("actor").notNull(),
    at: text("at").notNull(),
    reason: text("reason"),
    autoRevert: integer("auto_revert", { mode: "boolean" }).notNull().default(false),
    before: text("before"),
    after: text("after"),
  },
  (t) => [
    check("ttp_change_kind_check", sql`${t.kind} IN ('definition', 'deleted', 'state')`),
    index("ttp_change_rule_id_seq_idx").on(t.ruleId, t.seq),
    index("ttp_change_kind_at_idx").on(t.kind, t.at),
  ],
);
