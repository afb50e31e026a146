export { errorMessage } from "../errors";
import { BusyError, isTtpError } from "../errors";
import { mapDbError } from "../store/db-errors";

export { backoffMs, retry, sleep } from "../retry";


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
