import { createHash } from "node:crypto";
import { lt } from "drizzle-orm";
import { RateLimiterPostgres, RateLimiterSQLite, type RateLimiterStoreAbstract } from "rate-limiter-flexible";
import { openDatabase, pgSchema, sqliteSchema, type OpenedDatabase } from "../../db/open-database";

/** The table (db/ migration 0005) every dashboard process counts sign-in attempts in. */
export const LOGIN_THROTTLE_TABLE = "ttp_login_throttle";

export interface LoginThrottleOptions {
  /** Failed sign-ins for one user name (+ client address, when known) before it is blocked (default 5). */
  maxFailures?: number;
  /** Window in which those failures are counted (default 15 minutes). */
  windowMs?: number;
  /** How long a user name (+ address) stays blocked after its maxFailures-th failure (default 15 minutes). */
  blockMs?: number;
  /** Attempts from one client address, any user names, per ipWindowMs before the address is blocked (default 50). */
  maxPerIp?: number;
  /** Window of maxPerIp; the address stays blocked until it ends (default 1 hour). */
  ipWindowMs?: number;
}

/** What a throttled password check came to; `verify` ran only for "ok" and "failed". */
export type ThrottledAttempt<T> = { outcome: "ok"; value: T } | { outcome: "failed" } | { outcome: "throttled"; retryAfterMs: number };

const MINUTE = 60_000;
/** Rows expired longer than this are deleted, at most once per SWEEP_EVERY_MS per process. */
const SWEEP_AFTER_MS = 60 * MINUTE;
const SWEEP_EVERY_MS = 5 * MINUTE;
/** Longer keys are stored as their SHA-256 (the primary key index has a size limit in PostgreSQL). */
const MAX_PLAIN_KEY = 200;

type Limiter = RateLimiterStoreAbstract;

/**
 * Brute-force protection for password checks, counted in the database so every dashboard process
 * shares one count: per (lowercased user name, client address or null) and per client address.
 * attempt() consumes a point *before* the password is verified (atomic upsert in the store), so
 * concurrent attempts cannot all pass a check before any failure is recorded, and gives it back
 * when the password was right.
 */
export class LoginThrottle {
  private readonly byUserIp: Limiter;
  private readonly byIp: Limiter;
  private readonly maxFailures: number;
  private readonly blockSec: number;
  private lastSweep = 0;
  private closed = false;

  /** Counts in `db` (migrated, so the table exists); `ownsDatabase`: close() closes it. */
  constructor(
    private readonly db: OpenedDatabase,
    options: LoginThrottleOptions = {},
    private readonly ownsDatabase = false,
  ) {
    const { maxFailures = 5, windowMs = 15 * MINUTE, blockMs = 15 * MINUTE, maxPerIp = 50, ipWindowMs = 60 * MINUTE } = options;
    for (const [name, v] of Object.entries({ maxFailures, windowMs, blockMs, maxPerIp, ipWindowMs })) {
      if (!Number.isFinite(v) || v <= 0) throw new RangeError(`LoginThrottle: ${name} must be a positive number (got ${v})`);
    }
    this.maxFailures = maxFailures;
    this.blockSec = blockMs / 1000;
    // rate-limiter-flexible counts in seconds (fractions allowed). The table comes from our
    // migrations (tableCreated), and expired rows are swept here rather than by its timer, whose
    // SQLite variant leaves a rejected promise unhandled once the database is closed.
    const common = { tableName: LOGIN_THROTTLE_TABLE, tableCreated: true, clearExpiredByTimeout: false };
    const make = (keyPrefix: string, points: number, duration: number): Limiter =>
      db.dialect === "sqlite"
        ? new RateLimiterSQLite({ ...common, storeClient: db.sqlite, storeType: "better-sqlite3", keyPrefix, points, duration })
        : new RateLimiterPostgres({ ...common, storeClient: db.pool, storeType: "pool", keyPrefix, points, duration });
    this.byUserIp = make("login_user_ip", maxFailures, windowMs / 1000);
    this.byIp = make("login_ip", maxPerIp, ipWindowMs / 1000);
  }

  /**
   * One password check behind the throttle. `ip` null = the client's address is unknown (no
   * trusted proxy): the user name alone is counted. Consumes a point per key first; when a key is
   * over its limit `verify` is not called ("throttled"). `verify` returns the signed-in value or
   * null for a wrong password; a right one resets the user name's count and gives the address its
   * point back; the maxFailures-th wrong one blocks the user name (+ address) for blockMs.
   * A `verify` that throws gives the points back and rethrows; store errors are thrown.
   */
  async attempt<T>(username: string, ip: string | null, verify: () => Promise<T | null>): Promise<ThrottledAttempt<T>> {
    if (this.closed) throw new Error("the login throttle is closed");
    await this.sweep();
    const pair = pairKey(username, ip);
    const taken: [Limiter, string][] = [[this.byUserIp, pair]];
    if (ip !== null) taken.push([this.byIp, storageKey(ip)]);
    const results = await Promise.allSettled(taken.map(([limiter, key]) => limiter.consume(key)));
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
    if (refused.length > 0) {
      const errors = refused.filter((r) => !isLimiterRes(r));
      // Over a limit (or failed) on one key: the attempt never happened, so the others get their point back.
      await Promise.all(taken.filter((_, i) => results[i]?.status === "fulfilled").map(([limiter, key]) => limiter.reward(key)));
      if (errors.length > 0) throw errors[0];
      return { outcome: "throttled", retryAfterMs: Math.max(0, ...refused.map((r) => (r as { msBeforeNext: number }).msBeforeNext)) };
    }
    let value: T | null;
    try {
      value = await verify();
    } catch (err) {
      await Promise.all(taken.map(([limiter, key]) => limiter.reward(key)));
      throw err;
    }
    if (value !== null) {
      await Promise.all([this.byUserIp.delete(pair), ...taken.slice(1).map(([limiter, key]) => limiter.reward(key))]);
      return { outcome: "ok", value };
    }
    const consumed = (results[0] as PromiseFulfilledResult<{ consumedPoints: number }>).value.consumedPoints;
    if (consumed >= this.maxFailures) await this.byUserIp.block(pair, this.blockSec);
    return { outcome: "failed" };
  }

  /** Releases the database when this throttle opened it (openLoginThrottle); idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDatabase) await this.db.close();
  }

  /** Deletes rows that expired over an hour ago, at most every few minutes (both key kinds share the table). */
  private async sweep(): Promise<void> {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    const cutoff = now - SWEEP_AFTER_MS;
    if (this.db.dialect === "sqlite") this.db.db.delete(sqliteSchema.ttpLoginThrottle).where(lt(sqliteSchema.ttpLoginThrottle.expire, cutoff)).run();
    else await this.db.db.delete(pgSchema.ttpLoginThrottle).where(lt(pgSchema.ttpLoginThrottle.expire, cutoff));
  }
}

/** Opens (and migrates) the database a URL names and returns a throttle counting in it; close() releases it. */
export async function openLoginThrottle(url: string, options: LoginThrottleOptions = {}): Promise<LoginThrottle> {
  const db = await openDatabase(url);
  try {
    return new LoginThrottle(db, options, true);
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** JSON keeps the pair unambiguous whatever characters the (unvalidated) name or address holds. */
function pairKey(username: string, ip: string | null): string {
  return storageKey(JSON.stringify([String(username).toLowerCase(), ip]));
}

function storageKey(key: string): string {
  return key.length <= MAX_PLAIN_KEY ? key : `sha256:${createHash("sha256").update(key).digest("hex")}`;
}

/** rate-limiter-flexible rejects an over-limit consume with a RateLimiterRes (not an Error). */
function isLimiterRes(v: unknown): boolean {
  return typeof v === "object" && v !== null && !(v instanceof Error) && typeof (v as { msBeforeNext?: unknown }).msBeforeNext === "number";
}
