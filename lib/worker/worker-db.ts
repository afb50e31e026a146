import { parseDatabaseUrl } from "../../db/url";
import type { Tag } from "../engine/types";
import { silentLogger, type Logger } from "../logger";
import { openDriver, type DbDriver } from "../store/db-driver";
import { all, changes, first, insertOrIgnoreRows, iso, placeholders, run, toIso, type Tx } from "../store/db-sql";
import type { HealthStatus, WorkerRole } from "./stats";
import { errorMessage } from "./util";

/** One `ttp_worker` row (SPEC §5 drift report). Instants are ISO-8601 UTC. */
export interface WorkerReport {
  workerId: string;
  role: WorkerRole;
  hostname: string;
  pid: number;
  status: HealthStatus | "stopped";
  appliedSeq: number | null;
  headSeq: number | null;
  ruleCount: number;
  eventsTotal: number;
  tagsTotal: number;
  malformedTotal: number;
  reportIntervalMs: number;
  startedAt: string;
  lastSeenAt: string;
  /** Where the worker reads events from (null: the master). */
  inputKind: InputKind | null;
  /** NATS input only (else null): the stream, the durable consumer and its num_pending at the last consumer-info poll. */
  natsStream: string | null;
  natsDurable: string | null;
  natsPending: number | null;
}

export type InputKind = "nats" | "file" | "stdin";

/** Fires of rules summed over workers, per bucket of `bucketMinutes` starting at `fromMinute` (Unix minutes). */
export interface FireSeriesRange {
  fromMinute: number;
  /** Exclusive. */
  toMinute: number;
  bucketMinutes: number;
}

/** Minute rows per prune statement (a bounded delete never holds the write lock for long). */
export const FIRES_PRUNE_BATCH = 5000;

/** One `ttp_rule_stats` row of a worker. */
export interface RuleStatsRow {
  ruleId: string;
  /** Events the rule fired on since the worker started. */
  fires: number;
  /** Of which in the last report interval. */
  recentFires: number;
  lastFiredAt: string | null;
}

export interface StoredRuleStats extends RuleStatsRow {
  workerId: string;
  updatedAt: string;
}

/** application_name of the worker tables' PostgreSQL connections. */
export const PG_WORKER_APP_NAME = "ttp-worker";

/** Rows per statement of the report's upserts and ids per IN list (far below either dialect's parameter limit). */
const ROWS_PER_STATEMENT = 500;
// Bulk inserts touch the random uuid key's index pages all over: a larger page cache, fewer WAL checkpoints.
const SQLITE_PRAGMAS = ["cache_size = -65536", "wal_autocheckpoint = 4000"];
// The worker's writes append no change-log row: they never wait for the rule feed's write lock.
const NO_FEED_LOCK = { feedLock: false } as const;

const TAG_COLUMNS = ["uuid", "source_kind", "source_id", "attacker_uuid", "identity_uuid", "session_id", "decky_id", "tactic", "technique_id", "sub_technique_id", "confidence", "rule_id", "rule_version", "evidence", "worker_id", "created_at"];
const TAG_PG_TYPES = ["text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "float8", "text", "int4", "text", "text", "timestamptz"];

const byUuid = (a: Tag, b: Tag): number => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);

/** Tags by the first 32 bits of their uuid (order enough for index locality): a numeric typed-array sort, about 4× cheaper than comparing uuid strings. */
function inKeyOrder(tags: readonly Tag[]): Tag[] {
  const n = tags.length;
  // key · n + index stays an exact integer in a double up to 2^21 tags.
  if (n > 1 << 21) return [...tags].sort(byUuid);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = (parseInt((tags[i] as Tag).uuid.slice(0, 8), 16) || 0) * n + i;
  keys.sort();
  return Array.from(keys, (k) => tags[k % n] as Tag);
}

function* insertTagsTx(tags: readonly Tag[], workerId: string, createdAt: string): Tx<number> {
  // In key order: each index page of the random uuid key is visited once per batch, in sequence.
  const rows = inKeyOrder(tags).map((t) => [t.uuid, t.source_kind, t.source_id, t.attacker_uuid, t.identity_uuid, t.session_id, t.decky_id, t.tactic, t.technique_id, t.sub_technique_id, t.confidence, t.rule_id, t.rule_version, JSON.stringify(t.evidence), workerId, createdAt]);
  return yield* insertOrIgnoreRows({ table: "ttp_tag", columns: TAG_COLUMNS, pgTypes: TAG_PG_TYPES, conflict: "uuid", rows });
}

const WORKER_COLUMNS = ["worker_id", "role", "hostname", "pid", "status", "applied_seq", "head_seq", "rule_count", "events_total", "tags_total", "malformed_total", "report_interval_ms", "started_at", "last_seen_at", "input_kind", "nats_stream", "nats_durable", "nats_pending"] as const;
const UPSERT_WORKER =
  `INSERT INTO ttp_worker (${WORKER_COLUMNS.join(", ")}) VALUES ${placeholders(1, WORKER_COLUMNS.length)} ` +
  `ON CONFLICT (worker_id) DO UPDATE SET ${WORKER_COLUMNS.slice(1).map((c) => `${c} = excluded.${c}`).join(", ")}`;

const workerValues = (r: WorkerReport): unknown[] => [
  r.workerId, r.role, r.hostname, r.pid, r.status, r.appliedSeq, r.headSeq, r.ruleCount, r.eventsTotal, r.tagsTotal, r.malformedTotal, r.reportIntervalMs, r.startedAt, r.lastSeenAt, r.inputKind, r.natsStream, r.natsDurable, r.natsPending,
];

const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function workerFrom(r: Record<string, unknown>): WorkerReport {
  return {
    workerId: String(r.worker_id),
    role: r.role as WorkerRole,
    hostname: String(r.hostname),
    pid: Number(r.pid),
    status: r.status as WorkerReport["status"],
    appliedSeq: numberOrNull(r.applied_seq),
    headSeq: numberOrNull(r.head_seq),
    ruleCount: Number(r.rule_count),
    eventsTotal: Number(r.events_total),
    tagsTotal: Number(r.tags_total),
    malformedTotal: Number(r.malformed_total),
    reportIntervalMs: Number(r.report_interval_ms),
    startedAt: toIso(r.started_at),
    lastSeenAt: toIso(r.last_seen_at),
    inputKind: (r.input_kind ?? null) as InputKind | null,
    natsStream: (r.nats_stream ?? null) as string | null,
    natsDurable: (r.nats_durable ?? null) as string | null,
    natsPending: numberOrNull(r.nats_pending),
  };
}

function* writeReportTx(report: WorkerReport, stats: readonly RuleStatsRow[]): Tx<void> {
  const { workerId } = report;
  // A no-op update returning the stored start: on PostgreSQL it locks the row, so two reports of one
  // worker id (a duplicate id) serialise instead of both reading the old counts (SQLite's write
  // transaction is exclusive anyway).
  const stored = yield* first<{ started_at: unknown }>("UPDATE ttp_worker SET started_at = started_at WHERE worker_id = ? RETURNING started_at", [workerId]);
  const previous = new Map<string, number>();
  for (const part of chunks(stats.map((s) => s.ruleId), ROWS_PER_STATEMENT)) {
    const rows = yield* all<{ rule_id: string; fires: unknown }>(`SELECT rule_id, fires FROM ttp_rule_stats WHERE worker_id = ? AND rule_id IN (${part.map(() => "?").join(", ")})`, [workerId, ...part]);
    for (const p of rows) previous.set(p.rule_id, Number(p.fires));
  }
  const sameRun = stored !== undefined && toIso(stored.started_at) === report.startedAt;
  const minute = Math.floor(Date.parse(report.lastSeenAt) / 60_000);
  const fires = stats.map((s) => ({ ruleId: s.ruleId, fires: sameRun ? s.fires - (previous.get(s.ruleId) ?? 0) : s.fires })).filter((r) => r.fires > 0);
  yield* run(UPSERT_WORKER, workerValues(report));
  for (const part of chunks(fires, ROWS_PER_STATEMENT)) {
    yield* run(
      `INSERT INTO ttp_rule_fires_minute (worker_id, rule_id, minute, fires) VALUES ${placeholders(part.length, 4)} ` +
        "ON CONFLICT (worker_id, rule_id, minute) DO UPDATE SET fires = ttp_rule_fires_minute.fires + excluded.fires",
      part.flatMap((f) => [workerId, f.ruleId, minute, f.fires]),
    );
  }
  for (const part of chunks(stats, ROWS_PER_STATEMENT)) {
    yield* run(
      `INSERT INTO ttp_rule_stats (worker_id, rule_id, fires, recent_fires, last_fired_at, updated_at) VALUES ${placeholders(part.length, 6)} ` +
        "ON CONFLICT (worker_id, rule_id) DO UPDATE SET fires = excluded.fires, recent_fires = excluded.recent_fires, last_fired_at = excluded.last_fired_at, updated_at = excluded.updated_at",
      part.flatMap((s) => [workerId, s.ruleId, s.fires, s.recentFires, s.lastFiredAt, report.lastSeenAt]),
    );
  }
}

function toStoredRuleStats(r: Record<string, unknown>): StoredRuleStats {
  return {
    workerId: String(r.worker_id),
    ruleId: String(r.rule_id),
    fires: Number(r.fires),
    recentFires: Number(r.recent_fires),
    lastFiredAt: iso(r.last_fired_at),
    updatedAt: toIso(r.updated_at),
  };
}

function chunks<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

const isSqliteBusy = (err: unknown): boolean => {
  for (let e: unknown = err, depth = 0; e !== null && e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if ((e as { code?: unknown }).code === "SQLITE_BUSY") return true;
  }
  return false;
};

/**
 * The worker's own tables (`ttp_tag`, `ttp_worker`, `ttp_rule_stats`, `ttp_rule_fires_minute`) on
 * the database a URL names, through the dialect-neutral executors of lib/store/db-driver.ts.
 * Connects (and migrates) on first use; a failed connection is retried by the next call. Every
 * method throws a typed error on failure: BusyError while the database is busy or unreachable
 * (see isTransientDbError for retrying).
 */
export class WorkerDb {
  private driver: DbDriver | null = null;
  private opening: Promise<DbDriver> | null = null;
  private closed = false;
  private readonly logger: Logger;

  constructor(
    private readonly url: string,
    options: { logger?: Logger } = {},
  ) {
    this.logger = options.logger ?? silentLogger;
  }

  /**
   * Inserts tags, ignoring any whose uuid is already stored (idempotent re-processing). With
   * `noWait` on SQLite it writes nothing and returns null at once while another connection holds
   * the write lock (the caller retries without blocking its event loop in SQLite's busy handler).
   */
  async insertTags(tags: readonly Tag[], workerId: string, createdAt: string, options: { noWait?: boolean } = {}): Promise<number | null> {
    if (tags.length === 0) return 0;
    const d = await this.db();
    try {
      return await d.write(() => insertTagsTx(tags, workerId, createdAt), { ...NO_FEED_LOCK, noWait: options.noWait === true });
    } catch (err) {
      // Rolled back: nothing of this batch is stored.
      if (options.noWait && isSqliteBusy(err)) return null;
      throw err;
    }
  }

  /**
   * Upserts the worker's row and the given per-rule counts in one transaction, and adds each
   * rule's fires since the stored count to the minute of `report.lastSeenAt`. The delta is taken
   * against `ttp_rule_stats.fires` inside the same transaction, so re-sending a report whose
   * commit the worker did not see adds nothing; a new `started_at` (restart) counts from 0.
   */
  async writeReport(report: WorkerReport, stats: readonly RuleStatsRow[]): Promise<void> {
    const d = await this.db();
    await d.write(() => writeReportTx(report, stats), NO_FEED_LOCK);
  }

  /** Every worker row, by worker id (the dashboard's drift view). */
  async listWorkers(): Promise<WorkerReport[]> {
    const d = await this.db();
    const rows = await d.read(() => all(`SELECT ${WORKER_COLUMNS.join(", ")} FROM ttp_worker ORDER BY worker_id`));
    return rows.map(workerFrom);
  }

  /**
   * Fires of each given rule summed over workers, one number per bucket of the range (zeros
   * included); rules without rows get all zeros.
   */
  async fireSeries(ruleIds: readonly string[], range: FireSeriesRange): Promise<Map<string, number[]>> {
    const { fromMinute, toMinute, bucketMinutes } = range;
    if (!Number.isInteger(fromMinute) || !Number.isInteger(toMinute) || !Number.isInteger(bucketMinutes) || bucketMinutes < 1 || toMinute <= fromMinute) {
      throw new RangeError(`fire series range must be whole minutes with from < to and a bucket ≥ 1 (got from ${fromMinute}, to ${toMinute}, bucket ${bucketMinutes})`);
    }
    const n = Math.ceil((toMinute - fromMinute) / bucketMinutes);
    const out = new Map(ruleIds.map((id) => [id, new Array<number>(n).fill(0)]));
    if (ruleIds.length === 0) return out;
    const d = await this.db();
    const rows = await d.read(function* () {
      const found: { rule_id: string; bucket: unknown; fires: unknown }[] = [];
      for (const part of chunks([...new Set(ruleIds)], ROWS_PER_STATEMENT)) {
        // CAST: better-sqlite3 binds a JS number as REAL, which would make the division fractional.
        const q = `SELECT rule_id, (minute - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket, sum(fires) AS fires FROM ttp_rule_fires_minute WHERE rule_id IN (${part.map(() => "?").join(", ")}) AND minute >= ? AND minute < ? GROUP BY rule_id, bucket`;
        found.push(...(yield* all<(typeof found)[number]>(q, [fromMinute, bucketMinutes, ...part, fromMinute, toMinute])));
      }
      return found;
    });
    for (const row of rows) {
      const series = out.get(row.rule_id);
      const i = Number(row.bucket);
      if (series && i >= 0 && i < n) series[i] = (series[i] ?? 0) + Number(row.fires);
    }
    return out;
  }

  /** Deletes at most `limit` minute rows older than `beforeMinute`; returns how many (call again while it returns `limit`). */
  async pruneFiresBefore(beforeMinute: number, limit = FIRES_PRUNE_BATCH): Promise<number> {
    const d = await this.db();
    const q = "DELETE FROM ttp_rule_fires_minute WHERE (worker_id, rule_id, minute) IN (SELECT worker_id, rule_id, minute FROM ttp_rule_fires_minute WHERE minute < ? LIMIT ?)";
    return d.write(() => changes(q, [beforeMinute, limit]), NO_FEED_LOCK);
  }

  /** Every per-rule count of every worker (the dashboard's noise view). */
  async listRuleStats(): Promise<StoredRuleStats[]> {
    const d = await this.db();
    const rows = await d.read(() => all("SELECT * FROM ttp_rule_stats ORDER BY worker_id, rule_id"));
    return rows.map(toStoredRuleStats);
  }

  /** One rule's counts, one row per worker that reported it (the rule page's noise line). */
  async ruleStatsFor(ruleId: string): Promise<StoredRuleStats[]> {
    const d = await this.db();
    const rows = await d.read(() => all("SELECT * FROM ttp_rule_stats WHERE rule_id = ? ORDER BY worker_id", [ruleId]));
    return rows.map(toStoredRuleStats);
  }

  async countTags(): Promise<number> {
    const d = await this.db();
    const row = await d.read(() => first<{ n: unknown }>("SELECT count(*) AS n FROM ttp_tag"));
    return Number(row?.n ?? 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.opening;
    this.opening = null;
    const d = this.driver ?? (await pending?.catch(() => null)) ?? null;
    this.driver = null;
    await d?.close();
  }

  private db(): Promise<DbDriver> {
    if (this.closed) return Promise.reject(new Error("the worker database is closed"));
    if (this.driver) return Promise.resolve(this.driver);
    if (!this.opening) {
      this.opening = this.open().then(
        (d) => {
          this.opening = null;
          if (this.closed) {
            void d.close().catch((err: unknown) => this.logger.debug("closing a late connection failed", { error: errorMessage(err) }));
            throw new Error("the worker database is closed");
          }
          this.driver = d;
          return d;
        },
        (err: unknown) => {
          this.opening = null;
          throw err;
        },
      );
    }
    return this.opening;
  }

  /** SQLite opens and migrates in openDriver, PostgreSQL in init(). */
  private async open(): Promise<DbDriver> {
    const d = openDriver(parseDatabaseUrl(this.url), { logger: this.logger, appName: PG_WORKER_APP_NAME }, { pragmas: SQLITE_PRAGMAS });
    try {
      await d.init();
    } catch (err) {
      await d.close().catch((closeErr: unknown) => this.logger.debug("closing a failed connection failed", { error: errorMessage(closeErr) }));
      throw err;
    }
    return d;
  }
}
