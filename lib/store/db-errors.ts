import { BusyError, isTtpError, TtpError } from "../errors";

// Kept apart from db-driver.ts, which loads both database drivers (≈ 45 ms at start-up): callers that
// only classify errors (the worker's retry helpers, which `ttp eval` loads too) import this instead.

const BUSY_PG_CODES = new Set(["40001", "40P01", "55P03", "57P01", "57P02", "57P03", "53300"]);
const CONNECTION_ERRNOS = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"]);

/** Maps driver errors to the closed set of typed errors; typed errors thrown by bodies pass through. */
export function mapDbError(err: unknown, what: string): Error {
  if (isTtpError(err)) return err;
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (typeof code === "string") {
    if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
      return new BusyError(`${what}: the database is busy (${message}); retry`, { cause: err });
    }
    // 55000 "database … is not currently accepting connections" (ALLOW_CONNECTIONS false, maintenance) is an outage too.
    if (BUSY_PG_CODES.has(code) || code.startsWith("08") || CONNECTION_ERRNOS.has(code) || (code === "55000" && /accepting connections/i.test(message))) {
      return new BusyError(`${what}: the database is unavailable (${message}); retry`, { cause: err });
    }
  }
  if (/Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)) {
    return new BusyError(`${what}: the database is unavailable (${message}); retry`, { cause: err });
  }
  return new TtpError("INTERNAL", `${what}: ${message}`, { cause: err });
}
