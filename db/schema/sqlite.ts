import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";

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

// ---------------------------------------------------------------- worker tables (SPEC §5)

/** Tags written by workers with `--sink db`; the DECNET tag id is the key, so re-processing is idempotent. */
export const ttpTag = sqliteTable(
  "ttp_tag",
  {
    uuid: text("uuid").primaryKey(),
    sourceKind: text("source_kind").notNull(),
    sourceId: text("source_id").notNull(),
    attackerUuid: text("attacker_uuid"),
    identityUuid: text("identity_uuid"),
    sessionId: text("session_id"),
    deckyId: text("decky_id"),
    tactic: text("tactic").notNull(),
    techniqueId: text("technique_id").notNull(),
    subTechniqueId: text("sub_technique_id"),
    confidence: real("confidence").notNull(),
    ruleId: text("rule_id").notNull(),
    ruleVersion: integer("rule_version").notNull(),
    // JSON object text: the rule's evidence fields present in the payload.
    evidence: text("evidence").notNull(),
    workerId: text("worker_id"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [
    index("ttp_tag_rule_id_created_at_idx").on(t.ruleId, t.createdAt),
    index("ttp_tag_attacker_uuid_idx").on(t.attackerUuid),
    index("ttp_tag_created_at_idx").on(t.createdAt),
  ],
);

/** One row per worker or master process (by worker id): what it has applied and when it last reported (drift). */
export const ttpWorker = sqliteTable(
  "ttp_worker",
  {
    workerId: text("worker_id").primaryKey(),
    role: text("role", { enum: ["master", "worker"] }).notNull(),
    hostname: text("hostname").notNull(),
    pid: integer("pid").notNull(),
    status: text("status", { enum: ["ok", "stale", "error", "stopped"] }).notNull(),
    appliedSeq: integer("applied_seq"),
    headSeq: integer("head_seq"),
    ruleCount: integer("rule_count").notNull(),
    eventsTotal: integer("events_total").notNull(),
    tagsTotal: integer("tags_total").notNull(),
    malformedTotal: integer("malformed_total").notNull(),
    reportIntervalMs: integer("report_interval_ms").notNull(),
    startedAt: text("started_at").notNull(),
    lastSeenAt: text("last_seen_at").notNull(),
    /** `nats`, `file` or `stdin`; null for the master (and rows written before this column existed). */
    inputKind: text("input_kind", { enum: ["nats", "file", "stdin"] }),
    natsStream: text("nats_stream"),
    natsDurable: text("nats_durable"),
    /** The consumer's num_pending at the worker's last consumer-info poll (NATS input only). */
    natsPending: integer("nats_pending"),
  },
  (t) => [
    check("ttp_worker_role_check", sql`${t.role} IN ('master', 'worker')`),
    check("ttp_worker_status_check", sql`${t.status} IN ('ok', 'stale', 'error', 'stopped')`),
    index("ttp_worker_last_seen_at_idx").on(t.lastSeenAt),
  ],
);

/** Per-worker, per-rule fire counts (noise); `fires` counts since the worker's `started_at`. */
export const ttpRuleStats = sqliteTable(
  "ttp_rule_stats",
  {
    workerId: text("worker_id")
      .notNull()
      .references(() => ttpWorker.workerId, { onDelete: "cascade" }),
    // No FK to ttp_rule: the counts outlive a deleted rule.
    ruleId: text("rule_id").notNull(),
    fires: integer("fires").notNull(),
    recentFires: integer("recent_fires").notNull(),
    lastFiredAt: text("last_fired_at"),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.workerId, t.ruleId] }), index("ttp_rule_stats_rule_id_idx").on(t.ruleId)],
);

/**
 * Per-worker, per-rule fires in each minute (`minute` = Unix time in whole minutes, UTC). The
 * master deletes rows older than 7 days; dashboards sum over workers.
 */
export const ttpRuleFiresMinute = sqliteTable(
  "ttp_rule_fires_minute",
  {
    workerId: text("worker_id")
      .notNull()
      .references(() => ttpWorker.workerId, { onDelete: "cascade" }),
    ruleId: text("rule_id").notNull(),
    minute: integer("minute").notNull(),
    fires: integer("fires").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.workerId, t.ruleId, t.minute] }),
    index("ttp_rule_fires_minute_rule_id_minute_idx").on(t.ruleId, t.minute),
    index("ttp_rule_fires_minute_minute_idx").on(t.minute),
  ],
);

// ---------------------------------------------------------------- dashboard users (lib/auth)

export const ttpUser = sqliteTable(
  "ttp_user",
  {
    id: text("id").primaryKey(),
    username: text("username").notNull().unique("ttp_user_username_unique"),
    // argon2id PHC string; never the password.
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: ["viewer", "admin"] }).notNull(),
    createdAt: text("created_at").notNull(),
    createdBy: text("created_by"),
  },
  (t) => [check("ttp_user_role_check", sql`${t.role} IN ('viewer', 'admin')`)],
);

/** Dashboard sessions; `id` is the SHA-256 (hex) of the cookie token, which is never stored. */
export const ttpSession = sqliteTable(
  "ttp_session",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => ttpUser.id, { onDelete: "cascade" }),
    createdAt: text("created_at").notNull(),
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [index("ttp_session_user_id_idx").on(t.userId)],
);

/** API tokens for scripts; `id` is the SHA-256 (hex) of the bearer token, which is never stored. */
export const ttpApiToken = sqliteTable(
  "ttp_api_token",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => ttpUser.id, { onDelete: "cascade" }),
    label: text("label").notNull(),
    createdAt: text("created_at").notNull(),
    lastUsedAt: text("last_used_at"),
  },
  (t) => [index("ttp_api_token_user_id_idx").on(t.userId)],
);

/** Account changes (users, roles, passwords, API tokens): who did what to whom, when. Never a secret. */
export const ttpAuthLog = sqliteTable(
  "ttp_auth_log",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    at: text("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action", { enum: ["user_added", "role_changed", "password_set", "user_removed", "token_created", "token_revoked"] }).notNull(),
    username: text("username").notNull(),
    detail: text("detail"),
  },
  (t) => [index("ttp_auth_log_username_idx").on(t.username)],
);

/**
 * Sign-in throttle counters, shared by every dashboard process: rate-limiter-flexible's
 * RateLimiterSQLite reads and writes this table (its own column names; `expire` in epoch ms).
 */
export const ttpLoginThrottle = sqliteTable(
  "ttp_login_throttle",
  {
    key: text("key").primaryKey(),
    points: integer("points").notNull().default(0),
    expire: integer("expire"),
  },
  (t) => [index("ttp_login_throttle_expire_idx").on(t.expire)],
);
