import type { Socket } from "node:net";
import type Database from "better-sqlite3";
import pg from "pg";
import {
  createPgPool,
  migratePg,
  openSqliteDatabase,
  PG_CHANGE_CHANNEL,
  PG_WRITE_LOCK_KEY,
  redactDatabaseUrl,
} from "../../db/open-database";
import type { Logger } from "../logger";
import { backoffMs } from "../retry";
import { withPgTransaction } from "../../db/pg-transaction";
import type { DatabaseTarget } from "../../db/url";
import type { BulkInsert, Query, Row, Tx } from "./db-sql";
import { mapDbError } from "./db-errors";

/** application_name of the LISTEN connection (operators and tests can find it in pg_stat_activity). */
export const PG_LISTENER_APP_NAME = "ttp-change-listener";
export const PG_POOL_APP_NAME = "ttp-store";

/** Executes transaction bodies (see db-sql.ts) on one dialect. */
export interface DbDriver {
  readonly dialect: "sqlite" | "postgres";
  /** PostgreSQL: migrate and start listening; SQLite: already done synchronously. */
  init(): Promise<void>;
  /** One serialised write transaction (seq order = commit order). */
  write<R>(body: () => Tx<R>, options?: WriteOptions): Promise<R>;
  /** A read; `snapshot` runs every query of the body in one consistent snapshot. */
  read<R>(body: () => Tx<R>, snapshot?: boolean): Promise<R>;
  /** SQLite: whether another connection committed since the last call (cheap). PostgreSQL relies on NOTIFY and polling: false. */
  changedElsewhere(): boolean;
  close(): Promise<void>;
}

export interface WriteOptions {
  /**
   * PostgreSQL: take the change-feed write lock first (default true). Writes that append no
   * change-log row (accounts, sessions) pass false so a long rule import does not hold them up.
   */
  feedLock?: boolean;
  /**
   * SQLite: while another connection holds the write lock, fail at once with a BusyError (cause
   * code SQLITE_BUSY, nothing written) instead of waiting in the busy handler, which blocks the
   * event loop. PostgreSQL: no effect.
   */
  noWait?: boolean;
}

export interface SqliteDriverOptions {
  /** Pragmas run once after opening, e.g. `cache_size = -65536` (this connection only). */
  pragmas?: readonly string[];
}

/** Re-exported: callers that open a driver classify its errors from here. */
export { mapDbError };

// ---------------------------------------------------------------- SQLite

/** better-sqlite3 binds no booleans: 1/0 (the row itself when it holds none, the hot path of bulk inserts). */
const sqliteParams = (row: readonly unknown[]): readonly unknown[] => (row.some((p) => typeof p === "boolean") ? row.map((p) => (typeof p === "boolean" ? (p ? 1 : 0) : p)) : row);

export class SqliteDriver implements DbDriver {
  readonly dialect = "sqlite" as const;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  private dataVersion: number;
  private closed = false;

  /** Opens and migrates synchronously; `null` = in memory. */
  constructor(
    private readonly file: string | null,
    options: SqliteDriverOptions = {},
  ) {
    this.db = openSqliteDatabase(file);
    try {
      for (const p of options.pragmas ?? []) this.db.pragma(p);
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.dataVersion = this.readDataVersion();
  }

  async init(): Promise<void> {}

  async write<R>(body: () => Tx<R>, options: WriteOptions = {}): Promise<R> {
    const timeout = options.noWait ? Number(this.db.pragma("busy_timeout", { simple: true })) : null;
    if (timeout !== null) this.db.pragma("busy_timeout = 0");
    try {
      // BEGIN IMMEDIATE takes the write lock up front: writers are serialised across connections.
      return this.db.transaction(() => this.drive(body())).immediate();
    } catch (err) {
      throw mapDbError(err, "SQLite write");
    } finally {
      if (timeout !== null) this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  async read<R>(body: () => Tx<R>, snapshot = false): Promise<R> {
    try {
      return snapshot ? this.db.transaction(() => this.drive(body())).deferred() : this.drive(body());
    } catch (err) {
      throw mapDbError(err, "SQLite read");
    }
  }

  /** Synchronous read (SQLite only): lets the store take its starting seq at construction. */
  readSync<R>(body: () => Tx<R>): R {
    try {
      return this.drive(body());
    } catch (err) {
      throw mapDbError(err, "SQLite read");
    }
  }

  changedElsewhere(): boolean {
    if (this.file === null || this.closed) return false;
    const v = this.readDataVersion();
    if (v === this.dataVersion) return false;
    this.dataVersion = v;
    return true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private readDataVersion(): number {
    return Number(this.db.pragma("data_version", { simple: true }));
  }

  private drive<R>(gen: Tx<R>): R {
    let step = gen.next();
    while (!step.done) {
      step = gen.next(step.value.pgOnly ? [] : this.run(step.value));
    }
    return step.value;
  }

  private run(q: Query): Row[] {
    let stmt = this.statements.get(q.sql);
    if (!stmt) {
      stmt = this.db.prepare(q.sql);
      this.statements.set(q.sql, stmt);
    }
    if (q.bulk) {
      let n = 0;
      for (const row of q.bulk.rows) n += stmt.run(...sqliteParams(row)).changes;
      return [{ changes: n }];
    }
    const params = sqliteParams(q.params);
    if (stmt.reader) return stmt.all(...params) as Row[];
    const { changes } = stmt.run(...params);
    return q.changes ? [{ changes }] : [];
  }
}

// ---------------------------------------------------------------- PostgreSQL

/** Rows per `unnest` statement of a bulk insert (bounds one message's size). */
const PG_BULK_ROWS = 2000;

const pgText = new Map<string, string>();
function toPgSql(sql: string): string {
  let text = pgText.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    pgText.set(sql, text);
  }
  return text;
}

export interface PgDriverOptions {
  url: string;
  logger: Logger;
  /** Called on every NOTIFY and after the listener (re)connects (to catch up what it missed); without it no LISTEN connection is opened. */
  onNotify?: () => void;
  poolSize?: number;
  /** application_name of the pool's connections; default PG_POOL_APP_NAME. */
  appName?: string;
}

export class PgDriver implements DbDriver {
  readonly dialect = "postgres" as const;
  private readonly pool: pg.Pool;
  private listener: pg.Client | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private reconnectFailures = 0;
  private closed = false;

  constructor(private readonly options: PgDriverOptions) {
    this.pool = createPgPool(withAppName(options.url, options.appName ?? PG_POOL_APP_NAME), options.poolSize ?? 4);
    this.pool.on("error", (err) => {
      options.logger.warn("idle PostgreSQL client failed; the pool replaces it", { error: err.message });
    });
  }

  async init(): Promise<void> {
    try {
      await migratePg(this.pool);
    } catch (err) {
      throw mapDbError(err, `opening ${redactDatabaseUrl(this.options.url)}`);
    }
    await this.connectListener();
  }

  async write<R>(body: () => Tx<R>, options: WriteOptions = {}): Promise<R> {
    try {
      return await withPgTransaction(this.pool, "BEGIN", async (client) => {
        // First statement of every feed write: one writer at a time, so seq order = commit order.
        if (options.feedLock !== false) await client.query("SELECT pg_advisory_xact_lock($1)", [PG_WRITE_LOCK_KEY]);
        return this.drive(client, body());
      });
    } catch (err) {
      throw mapDbError(err, "PostgreSQL write");
    }
  }

  async read<R>(body: () => Tx<R>, snapshot = false): Promise<R> {
    try {
      if (!snapshot) return await this.drive(this.pool, body());
      return await withPgTransaction(this.pool, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", (client) => this.drive(client, body()));
    } catch (err) {
      throw mapDbError(err, "PostgreSQL read");
    }
  }

  changedElsewhere(): boolean {
    return false;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const listener = this.listener;
    this.listener = null;
    if (listener) {
      // Re-ref first: awaiting the end of an unref'd socket lets the event loop exit mid-close().
      refSocket(listener, true);
      await listener.end().catch((err: unknown) => this.options.logger.debug("closing the listener failed", { error: String(err) }));
    }
    await this.pool.end();
  }

  private async drive<R>(queryable: pg.Pool | pg.PoolClient, gen: Tx<R>): Promise<R> {
    let step = gen.next();
    while (!step.done) {
      const q = step.value;
      if (q.bulk) {
        step = gen.next([{ changes: await this.bulkInsert(queryable, q.bulk) }]);
        continue;
      }
      const res = await queryable.query(toPgSql(q.sql), q.params);
      step = gen.next(q.changes ? [{ changes: res.rowCount ?? 0 }] : (res.rows as Row[]));
    }
    return step.value;
  }

  private async bulkInsert(queryable: pg.Pool | pg.PoolClient, b: BulkInsert): Promise<number> {
    const text = `INSERT INTO ${b.table} (${b.columns.join(", ")}) SELECT * FROM unnest(${b.pgTypes.map((t, i) => `$${i + 1}::${t}[]`).join(", ")}) ON CONFLICT (${b.conflict}) DO NOTHING`;
    let n = 0;
    for (let start = 0; start < b.rows.length; start += PG_BULK_ROWS) {
      const part = b.rows.slice(start, start + PG_BULK_ROWS);
      const res = await queryable.query(text, b.columns.map((_, i) => part.map((row) => row[i])));
      n += res.rowCount ?? 0;
    }
    return n;
  }

  private async connectListener(): Promise<void> {
    const onNotify = this.options.onNotify;
    if (this.closed || !onNotify) return;
    const client = new pg.Client({ connectionString: withAppName(this.options.url, PG_LISTENER_APP_NAME) });
    let dropped = false;
    const drop = (why: string, err?: unknown): void => {
      if (dropped) return;
      dropped = true;
      if (this.listener === client) this.listener = null;
      if (!this.closed) {
        this.options.logger.warn("change listener connection lost; polling until it reconnects", {
          reason: why,
          ...(err === undefined ? {} : { error: err instanceof Error ? err.message : String(err) }),
        });
        this.scheduleReconnect();
      }
      client.end().catch((endErr: unknown) => this.options.logger.debug("ending a broken listener failed", { error: String(endErr) }));
    };
    client.on("notification", () => onNotify());
    client.on("error", (err) => drop("error", err));
    client.on("end", () => drop("end"));
    try {
      await client.connect();
      await client.query(`LISTEN ${PG_CHANGE_CHANNEL}`);
    } catch (err) {
      drop("connect", err);
      return;
    }
    if (this.closed || dropped) {
      if (!dropped) await client.end().catch((err: unknown) => this.options.logger.debug("closing the listener failed", { error: String(err) }));
      return;
    }
    // The listener alone must not keep the process alive (the pool exits on idle too).
    refSocket(client, false);
    this.listener = client;
    this.reconnectFailures = 0;
    onNotify();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectFailures++;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connectListener();
    }, backoffMs(this.reconnectFailures));
    this.reconnectTimer.unref?.();
  }
}

/**
 * The driver for a parsed database URL: SQLite is opened and migrated here, synchronously;
 * PostgreSQL connects and migrates in init(), which the caller awaits before the first query.
 */
export function openDriver(target: DatabaseTarget, pgOptions: Omit<PgDriverOptions, "url">, sqliteOptions: SqliteDriverOptions = {}): DbDriver {
  return target.dialect === "sqlite" ? new SqliteDriver(target.memory ? null : target.path, sqliteOptions) : new PgDriver({ ...pgOptions, url: target.connectionString });
}

function refSocket(client: pg.Client, ref: boolean): void {
  const stream = (client as unknown as { connection?: { stream?: Partial<Socket> } }).connection?.stream;
  if (ref) stream?.ref?.();
  else stream?.unref?.();
}

function withAppName(url: string, name: string): string {
  try {
    const u = new URL(url);
    if (!u.searchParams.has("application_name")) u.searchParams.set("application_name", name);
    return u.toString();
  } catch {
    // Not a parseable URL (e.g. a key=value string): use it as given.
    return url;
  }
}
