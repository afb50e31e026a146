import { ConflictError, NotFoundError } from "../errors";
import { defaultState, type RuleState, type RuleStateName } from "../state/semantics";
import type { ChangeLogEntry, HistoryQuery, RuleOrigin } from "./types";

// Transaction bodies are generators that yield queries and receive their rows: the SQLite
// executor drives them synchronously inside one better-sqlite3 transaction (no await inside
// it), the PostgreSQL executor awaits each query on one client. One body, two dialects.
// SQL uses `?` placeholders (rewritten to $n for PostgreSQL) and portable syntax only.

export type Row = Record<string, unknown>;

export interface Query {
  sql: string;
  params: unknown[];
  /** Run only on PostgreSQL (e.g. pg_notify). */
  pgOnly?: boolean;
  /** A write whose result is `[{ changes: n }]`: the rows it inserted, updated or deleted (see `changes`). */
  changes?: boolean;
  /** Set by insertOrIgnoreRows: `sql` is its single-row statement, `params` unused. */
  bulk?: BulkInsert;
}

/** Many rows into one table, skipping rows whose `conflict` key is already stored (see insertOrIgnoreRows). */
export interface BulkInsert {
  table: string;
  columns: readonly string[];
  /** PostgreSQL element type of each column (`text`, `int4`, `float8`, `timestamptz`, …), for its arrays. */
  pgTypes: readonly string[];
  /** The unique column (or comma-separated columns) a duplicate is recognised by. */
  conflict: string;
  /** One value per column each, in `columns` order. */
  rows: readonly (readonly unknown[])[];
}

export type Tx<R> = Generator<Query, R, Row[]>;

export function* all<T = Row>(sql: string, params: unknown[] = []): Generator<Query, T[], Row[]> {
  return (yield { sql, params }) as T[];
}

export function* first<T = Row>(sql: string, params: unknown[] = []): Generator<Query, T | undefined, Row[]> {
  const rows = (yield { sql, params }) as T[];
  return rows[0];
}

export function* run(sql: string, params: unknown[] = []): Generator<Query, void, Row[]> {
  yield { sql, params };
}

/** Runs a write (no RETURNING) and returns how many rows it inserted, updated or deleted. */
export function* changes(sql: string, params: unknown[] = []): Generator<Query, number, Row[]> {
  const rows = yield { sql, params, changes: true };
  return Number(rows[0]?.changes ?? 0);
}

/**
 * `INSERT … ON CONFLICT (conflict) DO NOTHING` of many rows; returns how many were inserted. Each
 * executor does it its cheapest way: SQLite runs one cached single-row statement per row (a wide
 * multi-row VALUES costs more per row there), PostgreSQL one statement per 2,000 rows with a
 * parameter per column (`unnest` of arrays: far less parsing than thousands of placeholders).
 */
export function* insertOrIgnoreRows(bulk: BulkInsert): Generator<Query, number, Row[]> {
  if (bulk.rows.length === 0) return 0;
  const sql = `INSERT INTO ${bulk.table} (${bulk.columns.join(", ")}) VALUES (${bulk.columns.map(() => "?").join(", ")}) ON CONFLICT (${bulk.conflict}) DO NOTHING`;
  const rows = yield { sql, params: [], changes: true, bulk };
  return Number(rows[0]?.changes ?? 0);
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Normalises an instant (ISO text in SQLite, a timestamptz Date from pg, or PostgreSQL's
 * `2026-01-02 03:04:05.678+00` text form) to ISO-8601 UTC; unparseable text is returned as given.
 */
export function toIso(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  if (ISO_UTC.test(s)) return s;
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}

/** toIso, keeping null (an unset instant column). */
export function iso(v: unknown): string | null {
  return v === null || v === undefined ? null : toIso(v);
}

export function isoRequired(v: unknown): string {
  return iso(v) ?? new Date(0).toISOString();
}

export interface RuleRow {
  rule_id: string;
  rule_version: number;
  name: string;
  source_path: string | null;
  yaml_content: string;
  origin: RuleOrigin;
  revision: number;
  updated_at: unknown;
  updated_by: string | null;
  /** Derived compiled-rule JSON and the sha256 of the yaml_content it was built from (may be null or stale). */
  definition?: string | null;
  definition_sha256?: string | null;
}

export interface StateRow {
  rule_id: string;
  state: RuleStateName;
  confidence_max: number | null;
  expires_at: unknown;
  reason: string | null;
  set_by: string | null;
  set_at: unknown;
  revision: number;
}

/** Columns of the joined state, prefixed `s_` (null when the rule has no state row). */
export interface JoinedState {
  s_state: RuleStateName | null;
  s_confidence_max: number | null;
  s_expires_at: unknown;
  s_reason: string | null;
  s_set_by: string | null;
  s_set_at: unknown;
}

export interface ChangeRow {
  seq: number | string;
  rule_id: string;
  kind: "definition" | "deleted" | "state";
  actor: string;
  at: unknown;
  reason: string | null;
  auto_revert: boolean | number;
  before: string | null;
  after: string | null;
}

const STATE_JOIN_COLUMNS =
  "s.state AS s_state, s.confidence_max AS s_confidence_max, s.expires_at AS s_expires_at, " +
  "s.reason AS s_reason, s.set_by AS s_set_by, s.set_at AS s_set_at";

export function stateFromRow(row: StateRow | undefined): RuleState {
  if (!row) return defaultState();
  return {
    state: row.state,
    confidence_max: row.confidence_max === null ? null : Number(row.confidence_max),
    expires_at: iso(row.expires_at),
    reason: row.reason,
    set_by: row.set_by,
    set_at: iso(row.set_at),
  };
}

export function stateFromJoin(row: JoinedState): RuleState {
  if (row.s_state === null || row.s_state === undefined) return defaultState();
  return {
    state: row.s_state,
    confidence_max: row.s_confidence_max === null ? null : Number(row.s_confidence_max),
    expires_at: iso(row.s_expires_at),
    reason: row.s_reason,
    set_by: row.s_set_by,
    set_at: iso(row.s_set_at),
  };
}

/** Snapshot stored in ttp_change for definitions (snake_case JSON). */
export interface DefinitionSnapshot {
  yaml: string;
  revision: number;
  rule_version: number;
  origin: RuleOrigin;
  source_path: string | null;
}

export function definitionSnapshot(row: RuleRow): DefinitionSnapshot {
  return {
    yaml: row.yaml_content,
    revision: Number(row.revision),
    rule_version: Number(row.rule_version),
    origin: row.origin,
    source_path: row.source_path,
  };
}

function parseJson(text: string | null): unknown {
  return text === null || text === undefined ? null : JSON.parse(text);
}

export function changeLogEntryFromRow(row: ChangeRow): ChangeLogEntry {
  return {
    seq: Number(row.seq),
    ruleId: row.rule_id,
    kind: row.kind,
    actor: row.actor,
    at: isoRequired(row.at),
    reason: row.reason,
    autoRevert: Boolean(row.auto_revert),
    before: parseJson(row.before),
    after: parseJson(row.after),
  };
}

// ---------------------------------------------------------------- reads

export function* headSeqTx(): Tx<number> {
  const row = yield* first<{ seq: number | string | null }>("SELECT COALESCE(MAX(seq), 0) AS seq FROM ttp_change");
  return Number(row?.seq ?? 0);
}

export type RuleWithState = RuleRow & JoinedState;

export function* listRulesTx(): Tx<RuleWithState[]> {
  return yield* all<RuleWithState>(
    `SELECT r.*, ${STATE_JOIN_COLUMNS} FROM ttp_rule r LEFT JOIN ttp_rule_state s ON s.rule_id = r.rule_id ORDER BY r.rule_id`,
  );
}

export function* listDefinitionsTx(): Tx<Pick<RuleRow, "rule_id" | "yaml_content" | "origin" | "revision" | "source_path">[]> {
  return yield* all("SELECT rule_id, yaml_content, origin, revision, source_path FROM ttp_rule ORDER BY rule_id");
}

export function* getRuleTx(ruleId: string): Tx<RuleWithState | undefined> {
  return yield* first<RuleWithState>(
    `SELECT r.*, ${STATE_JOIN_COLUMNS} FROM ttp_rule r LEFT JOIN ttp_rule_state s ON s.rule_id = r.rule_id WHERE r.rule_id = ?`,
    [ruleId],
  );
}

/** The rules and the head seq read in one snapshot (run it in a snapshot read). */
export function* loadSnapshotTx(): Tx<{ rules: RuleWithState[]; seq: number }> {
  const rules = yield* listRulesTx();
  const seq = yield* headSeqTx();
  return { rules, seq };
}

export function* getStateTx(ruleId: string): Tx<StateRow | undefined> {
  return yield* first<StateRow>("SELECT * FROM ttp_rule_state WHERE rule_id = ?", [ruleId]);
}

export type ChangeWithState = ChangeRow & JoinedState;

export function* changesAfterTx(seq: number, limit: number): Tx<ChangeWithState[]> {
  return yield* all<ChangeWithState>(
    `SELECT c.*, ${STATE_JOIN_COLUMNS} FROM ttp_change c LEFT JOIN ttp_rule_state s ON s.rule_id = c.rule_id ` +
      "WHERE c.seq > ? ORDER BY c.seq LIMIT ?",
    [seq, limit],
  );
}

export function* historyTx(query: HistoryQuery): Tx<ChangeRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (query.ruleId !== undefined) {
    where.push("rule_id = ?");
    params.push(query.ruleId);
  }
  if (query.before !== undefined) {
    where.push("seq < ?");
    params.push(query.before);
  }
  if (query.actor !== undefined) {
    where.push("actor = ?");
    params.push(query.actor);
  }
  if (query.kind !== undefined) {
    where.push("kind = ?");
    params.push(query.kind);
  }
  if (query.autoRevert !== undefined) {
    where.push("auto_revert = ?");
    params.push(query.autoRevert);
  }
  params.push(Math.max(0, Math.floor(query.limit)));
  return yield* all<ChangeRow>(
    `SELECT * FROM ttp_change ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`,
    params,
  );
}

export function* nearestExpiryTx(): Tx<string | null> {
  const row = yield* first<{ at: unknown }>("SELECT MIN(expires_at) AS at FROM ttp_rule_state WHERE expires_at IS NOT NULL");
  return iso(row?.at);
}

// ---------------------------------------------------------------- writes

interface ChangeInsert {
  ruleId: string;
  kind: "definition" | "deleted" | "state";
  actor: string;
  at: string;
  reason: string | null;
  autoRevert: boolean;
  before: unknown;
  after: unknown;
}

function* insertChange(c: ChangeInsert): Tx<ChangeRow> {
  const row = yield* first<ChangeRow>(
    "INSERT INTO ttp_change (rule_id, kind, actor, at, reason, auto_revert, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
    [c.ruleId, c.kind, c.actor, c.at, c.reason, c.autoRevert, json(c.before), json(c.after)],
  );
  if (!row) throw new Error("INSERT INTO ttp_change returned no row");
  // Wakes every tailer at commit (PostgreSQL delivers notifications only when the transaction commits).
  yield { sql: "SELECT pg_notify('ttp_change', ?)", params: [String(row.seq)], pgOnly: true };
  return row;
}

function json(v: unknown): string | null {
  return v === null || v === undefined ? null : JSON.stringify(v);
}

function* upsertStateRow(ruleId: string, s: RuleState, revision: number): Tx<void> {
  yield* run(
    "INSERT INTO ttp_rule_state (rule_id, state, confidence_max, expires_at, reason, set_by, set_at, revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?) " +
      "ON CONFLICT (rule_id) DO UPDATE SET state = excluded.state, confidence_max = excluded.confidence_max, expires_at = excluded.expires_at, " +
      "reason = excluded.reason, set_by = excluded.set_by, set_at = excluded.set_at, revision = excluded.revision",
    [ruleId, s.state, s.confidence_max, s.expires_at, s.reason, s.set_by, s.set_at, revision],
  );
}

export interface UpsertRuleInput {
  ruleId: string;
  ruleVersion: number;
  name: string;
  yaml: string;
  origin: RuleOrigin;
  /** undefined keeps the stored path. */
  sourcePath: string | null | undefined;
  actor: string;
  expectedRevision: number | undefined;
  now: string;
  /** Compiled-rule JSON (lib/rules/definition.ts) and sha256 of `yaml`. */
  definition: string;
  definitionSha256: string;
}

export interface UpsertRuleResult {
  rule: RuleRow;
  state: RuleState;
  change: ChangeRow | null;
}

/** The row an upsert writes: the next revision of `cur` (or revision 1), the source path kept unless given. */
function nextRuleRow(input: Omit<UpsertRuleInput, "expectedRevision">, cur: RuleRow | null | undefined): RuleRow {
  return {
    rule_id: input.ruleId,
    rule_version: input.ruleVersion,
    name: input.name,
    source_path: input.sourcePath === undefined ? (cur?.source_path ?? null) : input.sourcePath,
    yaml_content: input.yaml,
    origin: input.origin,
    revision: cur ? Number(cur.revision) + 1 : 1,
    updated_at: input.now,
    updated_by: input.actor,
    definition: input.definition,
    definition_sha256: input.definitionSha256,
  };
}

/** The feed entry of a definition write: the rule before (null when new) and after. */
function definitionChange(input: Omit<UpsertRuleInput, "expectedRevision">, cur: RuleRow | null | undefined, next: RuleRow) {
  return {
    ruleId: input.ruleId,
    kind: "definition" as const,
    actor: input.actor,
    at: input.now,
    reason: null,
    autoRevert: false,
    before: cur ? definitionSnapshot(cur) : null,
    after: definitionSnapshot(next),
  };
}

export function* upsertRuleTx(input: UpsertRuleInput): Tx<UpsertRuleResult> {
  const cur = yield* first<RuleRow>("SELECT * FROM ttp_rule WHERE rule_id = ?", [input.ruleId]);
  if (input.expectedRevision !== undefined) {
    if (!cur && input.expectedRevision !== 0) {
      throw new ConflictError(
        `rule ${input.ruleId} does not exist (expected revision ${input.expectedRevision}); it may have been deleted`,
        null,
      );
    }
    if (cur && Number(cur.revision) !== input.expectedRevision) {
      throw new ConflictError(
        `rule ${input.ruleId} is at revision ${cur.revision}, not ${input.expectedRevision}: someone else saved it meanwhile`,
        Number(cur.revision),
      );
    }
  }
  const state = stateFromRow(yield* getStateTx(input.ruleId));
  if (cur && cur.yaml_content === input.yaml && cur.origin === input.origin) return { rule: cur, state, change: null };
  const next = nextRuleRow(input, cur);
  yield* run(
    "INSERT INTO ttp_rule (rule_id, rule_version, name, source_path, yaml_content, origin, revision, updated_at, updated_by, definition, definition_sha256) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) " +
      "ON CONFLICT (rule_id) DO UPDATE SET rule_version = excluded.rule_version, name = excluded.name, source_path = excluded.source_path, " +
      "yaml_content = excluded.yaml_content, origin = excluded.origin, revision = excluded.revision, updated_at = excluded.updated_at, " +
      "updated_by = excluded.updated_by, definition = excluded.definition, definition_sha256 = excluded.definition_sha256",
    [
      next.rule_id,
      next.rule_version,
      next.name,
      next.source_path,
      next.yaml_content,
      next.origin,
      next.revision,
      next.updated_at,
      next.updated_by,
      next.definition,
      next.definition_sha256,
    ],
  );
  const change = yield* insertChange(definitionChange(input, cur, next));
  return { rule: next, state, change };
}

/** Rules per statement of a batch upsert: 11 parameters each, far below either dialect's limit. */
export const UPSERT_CHUNK = 500;

/** `(?, ?, …), (?, ?, …), …`: `rows` tuples of `cols` placeholders (a multi-row VALUES list). */
export const placeholders = (rows: number, cols: number): string => {
  const one = `(${new Array(cols).fill("?").join(", ")})`;
  return new Array(rows).fill(one).join(", ");
};

/**
 * upsertRuleTx for many rules in one transaction, a chunk of UPSERT_CHUNK rules per statement:
 * one change row per rule whose text or origin differs (unchanged rules write nothing), one
 * pg_notify at the end. `onChunk(done)` runs after each chunk (inside the transaction). Rule ids
 * must be distinct; no expectedRevision (an import overwrites).
 */
export function* upsertRulesTx(inputs: readonly Omit<UpsertRuleInput, "expectedRevision">[], onChunk?: (done: number) => void): Tx<UpsertRuleResult[]> {
  const results: UpsertRuleResult[] = [];
  let lastSeq: number | string | null = null;
  for (let start = 0; start < inputs.length; start += UPSERT_CHUNK) {
    const chunk = inputs.slice(start, start + UPSERT_CHUNK);
    const ids = chunk.map((i) => i.ruleId);
    const curRows = yield* all<RuleRow>(`SELECT * FROM ttp_rule WHERE rule_id IN (${ids.map(() => "?").join(", ")})`, ids);
    const stateRows = yield* all<StateRow & { rule_id: string }>(`SELECT * FROM ttp_rule_state WHERE rule_id IN (${ids.map(() => "?").join(", ")})`, ids);
    const current = new Map(curRows.map((r) => [r.rule_id, r]));
    const states = new Map(stateRows.map((r) => [r.rule_id, stateFromRow(r)]));
    const nextRows: RuleRow[] = [];
    const changes: ChangeInsert[] = [];
    const pending: { rule: RuleRow; state: RuleState }[] = [];
    for (const input of chunk) {
      const cur = current.get(input.ruleId);
      const state = states.get(input.ruleId) ?? defaultState();
      if (cur && cur.yaml_content === input.yaml && cur.origin === input.origin) {
        results.push({ rule: cur, state, change: null });
        continue;
      }
      const next = nextRuleRow(input, cur);
      nextRows.push(next);
      pending.push({ rule: next, state });
      changes.push(definitionChange(input, cur, next));
    }
    if (nextRows.length > 0) {
      yield* run(
        "INSERT INTO ttp_rule (rule_id, rule_version, name, source_path, yaml_content, origin, revision, updated_at, updated_by, definition, definition_sha256) " +
          `VALUES ${placeholders(nextRows.length, 11)} ` +
          "ON CONFLICT (rule_id) DO UPDATE SET rule_version = excluded.rule_version, name = excluded.name, source_path = excluded.source_path, " +
          "yaml_content = excluded.yaml_content, origin = excluded.origin, revision = excluded.revision, updated_at = excluded.updated_at, " +
          "updated_by = excluded.updated_by, definition = excluded.definition, definition_sha256 = excluded.definition_sha256",
        nextRows.flatMap((n) => [
          n.rule_id,
          n.rule_version,
          n.name,
          n.source_path,
          n.yaml_content,
          n.origin,
          n.revision,
          n.updated_at,
          n.updated_by,
          n.definition,
          n.definition_sha256,
        ]),
      );
      const rows = yield* all<ChangeRow>(
        `INSERT INTO ttp_change (rule_id, kind, actor, at, reason, auto_revert, before, after) VALUES ${placeholders(changes.length, 8)} RETURNING *`,
        changes.flatMap((c) => [c.ruleId, c.kind, c.actor, c.at, c.reason, c.autoRevert, json(c.before), json(c.after)]),
      );
      const byRule = new Map(rows.map((r) => [r.rule_id, r]));
      for (const p of pending) {
        const change = byRule.get(p.rule.rule_id);
        if (!change) throw new Error(`INSERT INTO ttp_change returned no row for ${p.rule.rule_id}`);
        results.push({ ...p, change });
        if (lastSeq === null || Number(change.seq) > Number(lastSeq)) lastSeq = change.seq;
      }
    }
    onChunk?.(Math.min(start + UPSERT_CHUNK, inputs.length));
  }
  // Wakes every tailer at commit; they read the feed by seq, so one notification covers the batch.
  if (lastSeq !== null) yield { sql: "SELECT pg_notify('ttp_change', ?)", params: [String(lastSeq)], pgOnly: true };
  return results;
}

export function* deleteRuleTx(input: {
  ruleId: string;
  actor: string;
  expectedRevision: number | undefined;
  reason: string | null;
  now: string;
}): Tx<ChangeRow> {
  const cur = yield* first<RuleRow>("SELECT * FROM ttp_rule WHERE rule_id = ?", [input.ruleId]);
  if (!cur) throw new NotFoundError(`rule ${input.ruleId} not found`);
  if (input.expectedRevision !== undefined && Number(cur.revision) !== input.expectedRevision) {
    throw new ConflictError(
      `rule ${input.ruleId} is at revision ${cur.revision}, not ${input.expectedRevision}: someone else saved it meanwhile`,
      Number(cur.revision),
    );
  }
  const state = stateFromRow(yield* getStateTx(input.ruleId));
  yield* run("DELETE FROM ttp_rule_state WHERE rule_id = ?", [input.ruleId]);
  yield* run("DELETE FROM ttp_rule WHERE rule_id = ?", [input.ruleId]);
  return yield* insertChange({
    ruleId: input.ruleId,
    kind: "deleted",
    actor: input.actor,
    at: input.now,
    reason: input.reason,
    autoRevert: false,
    before: { ...definitionSnapshot(cur), state },
    after: null,
  });
}

/** Stores `state` (already validated) for an existing rule; NotFoundError otherwise. */
export function* setStateTx(input: { ruleId: string; state: RuleState; actor: string; reason: string | null; now: string }): Tx<ChangeRow> {
  const rule = yield* first<{ rule_id: string }>("SELECT rule_id FROM ttp_rule WHERE rule_id = ?", [input.ruleId]);
  if (!rule) throw new NotFoundError(`rule ${input.ruleId} not found`);
  const cur = yield* getStateTx(input.ruleId);
  yield* upsertStateRow(input.ruleId, input.state, (cur ? Number(cur.revision) : 0) + 1);
  return yield* insertChange({
    ruleId: input.ruleId,
    kind: "state",
    actor: input.actor,
    at: input.now,
    reason: input.reason,
    autoRevert: false,
    before: stateFromRow(cur),
    after: input.state,
  });
}

/**
 * Reverts every state whose expiry is at or before `now` to the default, one audited change
 * each. Runs under the write lock, and each reset is conditional on the row being unchanged,
 * so across processes each expiry is reverted exactly once and a newer state is never touched.
 */
export function* sweepExpiredTx(input: { now: string; actor: string }): Tx<ChangeRow[]> {
  const expired = yield* all<StateRow>(
    "SELECT * FROM ttp_rule_state WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, rule_id",
    [input.now],
  );
  const changes: ChangeRow[] = [];
  const def = defaultState();
  for (const row of expired) {
    const reset = yield* all(
      "UPDATE ttp_rule_state SET state = ?, confidence_max = NULL, expires_at = NULL, reason = NULL, set_by = NULL, set_at = NULL, " +
        "revision = revision + 1 WHERE rule_id = ? AND revision = ? AND expires_at IS NOT NULL AND expires_at <= ? RETURNING rule_id",
      [def.state, row.rule_id, row.revision, input.now],
    );
    if (reset.length === 0) continue;
    changes.push(
      yield* insertChange({
        ruleId: row.rule_id,
        kind: "state",
        actor: input.actor,
        at: input.now,
        reason: null,
        autoRevert: true,
        before: stateFromRow(row),
        after: def,
      }),
    );
  }
  return changes;
}

/** Back to the default state (row kept with its revision bumped); NotFoundError for an unknown rule. */
export function* clearStateTx(input: { ruleId: string; actor: string; reason: string | null; now: string }): Tx<ChangeRow> {
  return yield* setStateTx({ ...input, state: defaultState() });
}
