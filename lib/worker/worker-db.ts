import { asc, count, eq, sql } from "drizzle-orm";
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
}

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

  /** Inserts tags, ignoring any whose uuid is already stored (idempotent re-processing). */
  async insertTags(tags: readonly Tag[], workerId: string, createdAt: string): Promise<number> {
    if (tags.length === 0) return 0;
    const o = await this.db();
    if (o.dialect === "sqlite") {
      // One prepared statement per row (the hot path: drizzle's query building cost more than SQLite itself).
      if (!this.sqliteInsert || this.sqliteInsert.db !== o.sqlite) {
        const stmt = o.sqlite.prepare(`INSERT INTO ttp_tag (${TAG_COLUMNS.join(", ")}) VALUES (${TAG_COLUMNS.map(() => "?").join(", ")}) ON CONFLICT (uuid) DO NOTHING`);
        const run = o.sqlite.transaction((rows: readonly Tag[], by: string, at: string) => {
          let n = 0;
          for (const t of rows) n += stmt.run(...tagValues(t, by, at)).changes;
          return n;
        });
        this.sqliteInsert = { db: o.sqlite, run: (rows, by, at) => run.immediate(rows, by, at) };
      }
      // IMMEDIATE: take the write lock up front (a deferred upgrade can fail with SQLITE_BUSY at once).
      return this.sqliteInsert.run(tags, workerId, createdAt);
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

  /** Upserts the worker's row and the given per-rule counts in one transaction. */
  async writeReport(report: WorkerReport, stats: readonly RuleStatsRow[]): Promise<void> {
    const { workerId, ...rest } = report;
    const statRows = stats.map((s) => ({ workerId, ruleId: s.ruleId, fires: s.fires, recentFires: s.recentFires, lastFiredAt: s.lastFiredAt, updatedAt: report.lastSeenAt }));
    const o = await this.db();
    if (o.dialect === "sqlite") {
      const w = sqliteSchema.ttpWorker;
      const r = sqliteSchema.ttpRuleStats;
      o.db.transaction(
        (tx) => {
          tx.insert(w).values(report).onConflictDoUpdate({ target: w.workerId, set: rest }).run();
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
    await pgTransaction(o.pool, async (tx) => {
      await tx.insert(w).values(report).onConflictDoUpdate({ target: w.workerId, set: rest });
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
    }));
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
