import { closeSync, constants as fsConstants, existsSync, mkdirSync, openSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle as drizzleSqlite, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate as migrateSqliteDrizzle } from "drizzle-orm/better-sqlite3/migrator";
import { drizzle as drizzlePg, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate as migratePgDrizzle } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import * as pgSchema from "./schema/pg";
import * as sqliteSchema from "./schema/sqlite";
import { parseDatabaseUrl, redactDatabaseUrl } from "./url";

export { ACCEPTED_URL_FORMS, parseDatabaseUrl, redactDatabaseUrl, type DatabaseTarget } from "./url";
export { pgSchema, sqliteSchema };

/** Session-level advisory lock held around migrations (PostgreSQL). */
export const PG_MIGRATE_LOCK_KEY = 0x7470_0001;
/** Transaction-level advisory lock taken first by every write transaction: seq order = commit order. */
export const PG_WRITE_LOCK_KEY = 0x7470_0002;
/** Channel of the `NOTIFY` issued by every write transaction; the payload is the newest seq. */
export const PG_CHANGE_CHANNEL = "ttp_change";

export type SqliteDb = BetterSQLite3Database<typeof sqliteSchema> & { $client: Database.Database };
export type PgDb = NodePgDatabase<typeof pgSchema> & { $client: pg.Pool };

export type OpenedDatabase =
  | { dialect: "sqlite"; sqlite: Database.Database; db: SqliteDb; close(): Promise<void> }
  | { dialect: "postgres"; pool: pg.Pool; db: PgDb; close(): Promise<void> };

export interface MigrationOptions {
  /** Folder with `meta/_journal.json` (defaults to db/migrations/<dialect> of this package). */
  migrationsFolder?: string;
}

export interface OpenDatabaseOptions extends MigrationOptions {
  /** Errors of idle pooled PostgreSQL clients (e.g. a terminated backend); default: one line on stderr. */
  onPoolError?: (err: Error) => void;
}

function reportPoolError(err: Error): void {
  process.stderr.write(`${JSON.stringify({ level: "warn", message: "idle PostgreSQL client error", error: err.message })}\n`);
}

/** The folder drizzle-kit generated for a dialect; resolved from this module, then from the working directory. */
export function migrationsFolderFor(dialect: "sqlite" | "pg"): string {
  const candidates: string[] = [];
  try {
    candidates.push(path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations", dialect));
  } catch {
    // import.meta.url is not a file: URL when bundled; the working-directory candidate below applies.
  }
  candidates.push(path.resolve("db", "migrations", dialect));
  for (const c of candidates) if (existsSync(path.join(c, "meta", "_journal.json"))) return c;
  throw new Error(`drizzle migrations for ${dialect} not found (looked in ${candidates.join(", ")})`);
}

/**
 * Opens (creating the parent directory) and migrates an SQLite database synchronously:
 * `null` = in memory. WAL (files), busy_timeout 5 s, synchronous NORMAL, foreign keys on.
 * Directories it creates are 0700 and a new database file 0600 (its WAL and SHM files inherit the
 * database file's mode from SQLite); existing ones keep theirs.
 */
export function openSqliteDatabase(file: string | null, options: MigrationOptions = {}): Database.Database {
  if (file !== null) createPrivateFile(file);
  const sqlite = new Database(file ?? ":memory:");
  try {
    // busy_timeout first: switching a fresh file to WAL takes a lock another opener may hold.
    sqlite.pragma("busy_timeout = 5000");
    // SQLite answers SQLITE_BUSY to a journal-mode switch at once, without its busy handler, while
    // another connection holds the file (e.g. a second process migrating it): retry for a while.
    if (file !== null) retryWhileBusy(() => sqlite.pragma("journal_mode = WAL"), 15_000);
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("foreign_keys = ON");
    migrateSqlite(sqlite, options);
    return sqlite;
  } catch (err) {
    sqlite.close();
    throw err;
  }
}

/** Creates the file (mode 0600, empty: SQLite starts a database in it) and its missing directories (0700), unless it exists. */
function createPrivateFile(file: string): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600));
  } catch (err) {
    // Exists already (or another process created it first): SQLite opens it as it is.
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
}

/** Runs `fn` again (after a few ms) while it fails with SQLITE_BUSY, for at most `ms`. */
function retryWhileBusy<T>(fn: () => T, ms: number): T {
  const deadline = Date.now() + ms;
  for (let attempt = 1; ; attempt++) {
    try {
      return fn();
    } catch (err) {
      const busy = (err as { code?: unknown }).code === "SQLITE_BUSY" || /database is locked/.test(String((err as Error)?.message));
      if (!busy || Date.now() >= deadline) throw err;
      sleepSync(Math.min(5 * attempt, 50));
    }
  }
}

/** The error and its `cause`s (drizzle wraps driver errors in DrizzleQueryError). */
function causeChain(err: unknown): unknown[] {
  const out: unknown[] = [];
  for (let e: unknown = err; e !== undefined && e !== null && out.length < 10; e = (e as { cause?: unknown }).cause) out.push(e);
  return out;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Applies pending migrations with drizzle's migrator; idempotent. drizzle reads the applied list
 * before its (deferred) transaction, so two processes migrating a fresh file race: the loser
 * fails with SQLITE_BUSY or "already exists" and simply retries (the re-read sees the winner's work).
 */
export function migrateSqlite(sqlite: Database.Database, options: MigrationOptions = {}): void {
  const migrationsFolder = options.migrationsFolder ?? migrationsFolderFor("sqlite");
  const db = drizzleSqlite(sqlite);
  const deadline = Date.now() + 15_000;
  for (let attempt = 1; ; attempt++) {
    try {
      migrateSqliteDrizzle(db, { migrationsFolder });
      return;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const racing = causeChain(err).some((e) => {
        const code = (e as { code?: unknown }).code;
        const text = e instanceof Error ? e.message : String(e);
        return (typeof code === "string" && code.startsWith("SQLITE_BUSY")) || /already exists/i.test(text);
      });
      if (!racing || Date.now() > deadline) {
        const detail = causeChain(err).map((e) => (e instanceof Error ? e.message : String(e))).at(-1) ?? message;
        throw new Error(`SQLite migration failed after ${attempt} attempt(s): ${detail}`, { cause: err });
      }
      if (sqlite.inTransaction) sqlite.exec("ROLLBACK");
      sleepSync(Math.min(5 * attempt, 100));
    }
  }
}

/** A small pool that never keeps the process alive on its own. */
export function createPgPool(connectionString: string, max = 4): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, allowExitOnIdle: true, connectionTimeoutMillis: 10_000 });
  return pool;
}

/** Applies pending migrations under a session advisory lock, so concurrent openers serialise; idempotent. */
export async function migratePg(pool: pg.Pool, options: MigrationOptions = {}): Promise<void> {
  const migrationsFolder = options.migrationsFolder ?? migrationsFolderFor("pg");
  const client = await pool.connect();
  let broken: Error | undefined;
  // A checked-out client has no pool listener: a connection lost mid-migration would otherwise be
  // an uncaught 'error' event (the pending query rejects as well, and that is what is reported).
  const onError = (err: Error): void => {
    broken ??= err;
  };
  client.on("error", onError);
  try {
    await client.query("SELECT pg_advisory_lock($1)", [PG_MIGRATE_LOCK_KEY]);
    try {
      await migratePgDrizzle(drizzlePg(client), { migrationsFolder });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [PG_MIGRATE_LOCK_KEY]);
    }
  } catch (err) {
    broken = err instanceof Error ? err : new Error(String(err));
    throw new Error(`PostgreSQL migration failed: ${broken.message}`, { cause: err });
  } finally {
    // A client whose lock state is unknown is destroyed rather than returned to the pool.
    client.off("error", onError);
    client.release(broken);
  }
}

/** Opens and migrates the database a URL names (see ACCEPTED_URL_FORMS). */
export async function openDatabase(url: string, options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
  const target = parseDatabaseUrl(url);
  if (target.dialect === "sqlite") {
    const sqlite = openSqliteDatabase(target.memory ? null : target.path, options);
    const db = drizzleSqlite(sqlite, { schema: sqliteSchema });
    let closed = false;
    return {
      dialect: "sqlite",
      sqlite,
      db,
      close: async () => {
        if (closed) return;
        closed = true;
        sqlite.close();
      },
    };
  }
  const pool = createPgPool(target.connectionString);
  // Without a listener an idle client's error (e.g. a terminated backend) would crash the process.
  pool.on("error", options.onPoolError ?? reportPoolError);
  try {
    await migratePg(pool, options);
  } catch (err) {
    await pool.end();
    throw new Error(`cannot open ${redactDatabaseUrl(url)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const db = drizzlePg(pool, { schema: pgSchema });
  let closed = false;
  return {
    dialect: "postgres",
    pool,
    db,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** `ttp db migrate`: opens the database, applies pending migrations (idempotent), closes it. */
export async function migrateDatabase(url: string, options: MigrationOptions = {}): Promise<void> {
  const opened = await openDatabase(url, options);
  await opened.close();
}
