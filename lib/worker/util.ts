export { errorMessage } from "../errors";
import { BusyError, isTtpError } from "../errors";
import { mapDbError } from "../store/db-driver";

/** Capped exponential backoff: 100 ms, 200 ms, … up to `capMs`. */
export function backoffMs(failures: number, capMs = 5000): number {
  return Math.min(100 * 2 ** Math.max(0, failures - 1), capMs);
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}


/** Whether a database error is an outage worth retrying (connection lost, busy, server restarting), looking through wrappers' causes. */
export function isTransientDbError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && e !== undefined && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof BusyError) return true;
    if (isTtpError(e)) continue;
    if (mapDbError(e, "probe") instanceof BusyError) return true;
  }
  return false;
}

export const nowIso = (ms: number = Date.now()): string => new Date(ms).toISOString();

/** Wall-clock epoch milliseconds with sub-millisecond resolution (comparable across processes of one host). */
export const wallNowMs = (): number => performance.timeOrigin + performance.now();
