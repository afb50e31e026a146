import { and, asc, count, eq, inArray, sql } from "drizzle-orm";
import { drizzle as drizzlePg, type NodePgDatabase } from "drizzle-orm/node-postgres";
import type pg from "pg";
import { openDatabase, pgSchema, sqliteSchema, type OpenedDatabase } from "../../db/open-database";
import { withPgTransaction } from "../../db/pg-transaction";
import type { Tag } from "../engine/types";
import { silentLogger, type Logger } from "../logger";
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

const TAG_BATCH = 500;
const TAG_COLUMNS = ["uuid", "source_kind", "source_id", "attacker_uuid", "identity_uuid", "session_id", "decky_id", "tactic", "technique_id", "sub_technique_id", "confidence", "rule_id", "rule_version", "evidence", "worker_id", "created_at"] as const;
const PG_TAG_TYPES = ["text", "text", "text", "text", "text", "text", "text", "text", "text", "text", "float8", "text", "int4", "text", "text", "timestamptz"] as const;

function tagValues(t: Tag, workerId: string, createdAt: string): (string | number | null)[] {
  return [t.uuid, t.source_kind, t.source_id, t.attacker_uuid, t.identity_uuid, t.session_id, t.decky_id, t.tactic, t.technique_id, t.sub_technique_id, t.confidence, t.rule_id, t.rule_version, JSON.stringify(t.evidence), workerId, createdAt];
}

const byUuid = (a: Tag, b: Tag): number => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);

function toStoredRuleStats(r: { workerId: string; ruleId: string; fires: unknown; recentFires: unknown; lastFiredAt: unknown; updatedAt: unknown }): StoredRuleStats {
  return {
    workerId: r.workerId,
    ruleId: r.ruleId,
    fires: Number(r.fires),
    recentFires: Number(r.recentFires),
    lastFiredAt: r.lastFiredAt === null ? null : toIso(r.lastFiredAt),
    updatedAt: toIso(r.updatedAt),
  };
}

function toIso(v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  const s = String(v);
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : new Date(t).toISOString();
}

/** `?` placeholders → PostgreSQL's `$1, $2, …`. */
function numbered(q: string): string {
  let i = 0;
  return q.replace(/\?/g, () => `$${++i}`);
}

function chunks<T>(xs: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** A drizzle transaction on a guarded client (drizzle's `transaction()` leaves the checked-out client without an 'error' listener). */
function pgTransaction<T>(pool: pg.Pool, fn: (tx: NodePgDatabase<typeof pgSchema>) => Promise<T>): Promise<T> {
  return withPgTransaction(pool, "BEGIN", (client) => fn(drizzlePg(client, { schema: pgSchema })));
}

/**
 * The worker's own tables (`ttp_tag`, `ttp_worker`, `ttp_rule_stats`) on the database a URL
 * names. Connects (and migrates) on first use; a failed connection is retried by the next call.
 * Every method throws the driver's error on failure (see isTransientDbError for retrying).
 */
export class WorkerDb {
  private opened: OpenedDatabase | null = null;
  private opening: Promise<OpenedDatabase> | null = null;
  private closed = false;
  private readonly logger: Logger;
  private sqliteInsert: { db: unknown; run: (rows: readonly Tag[], workerId: string, createdAt: string) => number } | null = null;

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
    const o = await this.db();
    if (o.dialect === "sqlite") {
      // One prepared statement per row (the hot path: drizzle's query building cost more than SQLite itself).
      if (!this.sqliteInsert || this.sqliteInsert.db !== o.sqlite) {
        // Bulk inserts touch the random uuid key's index pages all over: a larger page cache, fewer WAL checkpoints.
        o.sqlite.pragma("cache_size = -65536");
        o.sqlite.pragma("wal_autocheckpoint = 4000");
        const stmt = o.sqlite.prepare(`INSERT INTO ttp_tag (${TAG_COLUMNS.join(", ")}) VALUES (${TAG_COLUMNS.map(() => "?").join(", ")}) ON CONFLICT (uuid) DO NOTHING`);
        const run = o.sqlite.transaction((rows: readonly Tag[], by: string, at: string) => {
          let n = 0;
          // In key order: each index page of the random uuid key is visited once per batch, in sequence.
          for (const t of [...rows].sort(byUuid)) n += stmt.run(...tagValues(t, by, at)).changes;
          return n;
        });
        this.sqliteInsert = { db: o.sqlite, run: (rows, by, at) => run.immediate(rows, by, at) };
      }
      // IMMEDIATE: take the write lock up front (a deferred upgrade can fail with SQLITE_BUSY at once).
      if (!options.noWait) return this.sqliteInsert.run(tags, workerId, createdAt);
      const timeout = Number(o.sqlite.pragma("busy_timeout", { simple: true }));
      o.sqlite.pragma("busy_timeout = 0");
      try {
        return this.sqliteInsert.run(tags, workerId, createdAt);
      } catch (err) {
        // Rolled back by the transaction wrapper: nothing of this batch is stored.
        if ((err as { code?: unknown }).code === "SQLITE_BUSY") return null;
        throw err;
      } finally {
        o.sqlite.pragma(`busy_timeout = ${timeout}`);
      }
    }
    return withPgTransaction(o.pool, "BEGIN", async (client) => {
      let n = 0;
      for (const part of chunks([...tags], TAG_BATCH * 4)) {
        const cols: unknown[][] = TAG_COLUMNS.map(() => []);
        for (const t of part) tagValues(t, workerId, createdAt).forEach((v, i) => (cols[i] as unknown[]).push(v));
        const res = await client.query(
          `INSERT INTO ttp_tag (${TAG_COLUMNS.join(", ")}) SELECT * FROM unnest(${PG_TAG_TYPES.map((ty, i) => `$${i + 1}::${ty}[]`).join(", ")}) ON CONFLICT (uuid) DO NOTHING`,
          cols,
        );
        n += res.rowCount ?? 0;
      }
      return n;
    });
  }

  /**
   * Upserts the worker's row and the given per-rule counts in one transaction, and adds each
   * rule's fires since the stored count to the minute of `report.lastSeenAt`. The delta is taken
   * against `ttp_rule_stats.fires` inside the same transaction, so re-sending a report whose
   * commit the worker did not see adds nothing; a new `started_at` (restart) counts from 0.
   */
  async writeReport(report: WorkerReport, stats: readonly RuleStatsRow[]): Promise<void> {
    const { workerId, ...rest } = report;
    const statRows = stats.map((s) => ({ workerId, ruleId: s.ruleId, fires: s.fires, recentFires: s.recentFires, lastFiredAt: s.lastFiredAt, updatedAt: report.lastSeenAt }));
    const minute = Math.floor(Date.parse(report.lastSeenAt) / 60_000);
    const minuteRows = (stored: { startedAt: unknown } | undefined, previous: ReadonlyMap<string, number>) => {
      const sameRun = stored !== undefined && toIso(stored.startedAt) === report.startedAt;
      return stats
        .map((s) => ({ workerId, ruleId: s.ruleId, minute, fires: sameRun ? s.fires - (previous.get(s.ruleId) ?? 0) : s.fires }))
        .filter((r) => r.fires > 0);
    };
    const o = await this.db();
    if (o.dialect === "sqlite") {
      const w = sqliteSchema.ttpWorker;
      const r = sqliteSchema.ttpRuleStats;
      const m = sqliteSchema.ttpRuleFiresMinute;
      o.db.transaction(
        (tx) => {
          const stored = tx.select({ startedAt: w.startedAt }).from(w).where(eq(w.workerId, workerId)).get();
          const previous = new Map<string, number>();
          for (const part of chunks(stats.map((s) => s.ruleId), TAG_BATCH)) {
            for (const p of tx.select({ ruleId: r.ruleId, fires: r.fires }).from(r).where(and(eq(r.workerId, workerId), inArray(r.ruleId, part))).all()) previous.set(p.ruleId, Number(p.fires));
          }
          const fires = minuteRows(stored, previous);
          tx.insert(w).values(report).onConflictDoUpdate({ target: w.workerId, set: rest }).run();
          for (const part of chunks(fires, TAG_BATCH)) {
            tx.insert(m).values(part).onConflictDoUpdate({ target: [m.workerId, m.ruleId, m.minute], set: { fires: sql`${m.fires} + excluded.fires` } }).run();
          }
          for (const part of chunks(statRows, TAG_BATCH)) {
            tx.insert(r)
              .values(part)
              .onConflictDoUpdate({
                target: [r.workerId, r.ruleId],
                set: { fires: sql`excluded.fires`, recentFires: sql`excluded.recent_fires`, lastFiredAt: sql`excluded.last_fired_at`, updatedAt: sql`excluded.updated_at` },
              })
              .run();
          }
        },
        { behavior: "immediate" },
      );
      return;
    }
    const w = pgSchema.ttpWorker;
    const r = pgSchema.ttpRuleStats;
    const m = pgSchema.ttpRuleFiresMinute;
    await pgTransaction(o.pool, async (tx) => {
      // FOR UPDATE: two reports of one worker id (a duplicate id) serialise on its row instead of both reading the old counts.
      const [stored] = await tx.select({ startedAt: w.startedAt }).from(w).where(eq(w.workerId, workerId)).for("update");
      const previous = new Map<string, number>();
      for (const part of chunks(stats.map((s) => s.ruleId), TAG_BATCH)) {
        for (const p of await tx.select({ ruleId: r.ruleId, fires: r.fires }).from(r).where(and(eq(r.workerId, workerId), inArray(r.ruleId, part)))) previous.set(p.ruleId, Number(p.fires));
      }
      const fires = minuteRows(stored, previous);
      await tx.insert(w).values(report).onConflictDoUpdate({ target: w.workerId, set: rest });
      for (const part of chunks(fires, TAG_BATCH)) {
        await tx.insert(m).values(part).onConflictDoUpdate({ target: [m.workerId, m.ruleId, m.minute], set: { fires: sql`${m.fires} + excluded.fires` } });
      }
      for (const part of chunks(statRows, TAG_BATCH)) {
        await tx
          .insert(r)
          .values(part)
          .onConflictDoUpdate({
            target: [r.workerId, r.ruleId],
            set: { fires: sql`excluded.fires`, recentFires: sql`excluded.recent_fires`, lastFiredAt: sql`excluded.last_fired_at`, updatedAt: sql`excluded.updated_at` },
          });
      }
    });
  }

  /** Every worker row, by worker id (the dashboard's drift view). */
  async listWorkers(): Promise<WorkerReport[]> {
    const o = await this.db();
    const rows =
      o.dialect === "sqlite"
        ? o.db.select().from(sqliteSchema.ttpWorker).orderBy(asc(sqliteSchema.ttpWorker.workerId)).all()
        : await o.db.select().from(pgSchema.ttpWorker).orderBy(asc(pgSchema.ttpWorker.workerId));
    return rows.map((r) => ({
      ...r,
      appliedSeq: r.appliedSeq === null ? null : Number(r.appliedSeq),
      headSeq: r.headSeq === null ? null : Number(r.headSeq),
      eventsTotal: Number(r.eventsTotal),
      tagsTotal: Number(r.tagsTotal),
      malformedTotal: Number(r.malformedTotal),
      startedAt: toIso(r.startedAt),
      lastSeenAt: toIso(r.lastSeenAt),
      natsPending: r.natsPending === null ? null : Number(r.natsPending),
    }));
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
    const o = await this.db();
    const rows: { rule_id: string; bucket: unknown; fires: unknown }[] = [];
    for (const part of chunks([...new Set(ruleIds)], TAG_BATCH)) {
      // CAST: better-sqlite3 binds a JS number as REAL, which would make the division fractional.
      const q = `SELECT rule_id, (minute - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS bucket, sum(fires) AS fires FROM ttp_rule_fires_minute WHERE rule_id IN (${part.map(() => "?").join(", ")}) AND minute >= ? AND minute < ? GROUP BY rule_id, bucket`;
      const params = [fromMinute, bucketMinutes, ...part, fromMinute, toMinute];
      if (o.dialect === "sqlite") rows.push(...(o.sqlite.prepare(q).all(...params) as typeof rows));
      else rows.push(...(await o.pool.query<(typeof rows)[number]>(numbered(q), params)).rows);
    }
    for (const row of rows) {
      const series = out.get(row.rule_id);
      const i = Number(row.bucket);
      if (series && i >= 0 && i < n) series[i] = (series[i] ?? 0) + Number(row.fires);
    }
    return out;
  }

  /** Deletes at most `limit` minute rows older than `beforeMinute`; returns how many (call again while it returns `limit`). */
  async pruneFiresBefore(beforeMinute: number, limit = FIRES_PRUNE_BATCH): Promise<number> {
    const o = await this.db();
    const q = "DELETE FROM ttp_rule_fires_minute WHERE (worker_id, rule_id, minute) IN (SELECT worker_id, rule_id, minute FROM ttp_rule_fires_minute WHERE minute < ? LIMIT ?)";
    if (o.dialect === "sqlite") return o.sqlite.prepare(q).run(beforeMinute, limit).changes;
    const res = await o.pool.query(numbered(q), [beforeMinute, limit]);
    return res.rowCount ?? 0;
  }

  /** Every per-rule count of every worker (the dashboard's noise view). */
  async listRuleStats(): Promise<StoredRuleStats[]> {
    const o = await this.db();
    const rows =
      o.dialect === "sqlite"
        ? o.db.select().from(sqliteSchema.ttpRuleStats).orderBy(asc(sqliteSchema.ttpRuleStats.workerId), asc(sqliteSchema.ttpRuleStats.ruleId)).all()
        : await o.db.select().from(pgSchema.ttpRuleStats).orderBy(asc(pgSchema.ttpRuleStats.workerId), asc(pgSchema.ttpRuleStats.ruleId));
    return rows.map(toStoredRuleStats);
  }

  /** One rule's counts, one row per worker that reported it (the rule page's noise line). */
  async ruleStatsFor(ruleId: string): Promise<StoredRuleStats[]> {
    const o = await this.db();
    const rows =
      o.dialect === "sqlite"
        ? o.db.select().from(sqliteSchema.ttpRuleStats).where(eq(sqliteSchema.ttpRuleStats.ruleId, ruleId)).orderBy(asc(sqliteSchema.ttpRuleStats.workerId)).all()
        : await o.db.select().from(pgSchema.ttpRuleStats).where(eq(pgSchema.ttpRuleStats.ruleId, ruleId)).orderBy(asc(pgSchema.ttpRuleStats.workerId));
    return rows.map(toStoredRuleStats);
  }

  async countTags(): Promise<number> {
    const o = await this.db();
    if (o.dialect === "sqlite") return Number(o.db.select({ n: count() }).from(sqliteSchema.ttpTag).get()?.n ?? 0);
    const [row] = await o.db.select({ n: count() }).from(pgSchema.ttpTag);
    return Number(row?.n ?? 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.opening;
    this.opening = null;
    const o = this.opened ?? (await pending?.catch(() => null)) ?? null;
    this.opened = null;
    await o?.close();
  }

  private db(): Promise<OpenedDatabase> {
    if (this.closed) return Promise.reject(new Error("the worker database is closed"));
    if (this.opened) return Promise.resolve(this.opened);
    if (!this.opening) {
      this.opening = openDatabase(this.url, {
        onPoolError: (err) => this.logger.warn("idle database connection failed; the pool replaces it", { error: err.message }),
      }).then(
        (o) => {
          this.opening = null;
          if (this.closed) {
            void o.close().catch((err: unknown) => this.logger.debug("closing a late connection failed", { error: errorMessage(err) }));
            throw new Error("the worker database is closed");
          }
          this.opened = o;
          return o;
        },
        (err: unknown) => {
          this.opening = null;
          throw err;
        },
      );
    }
    return this.opening;
  }
}
