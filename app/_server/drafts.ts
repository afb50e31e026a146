import "server-only";
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";
import type { User } from "../../lib/auth/types";
import { DraftPool } from "../../lib/rules/draft-pool";
import { fail, type ActionResult } from "./action-result";
import { getServices } from "./services";

/** Validations and test runs per user: 20 in any 2 s window (10/s sustained), counted in this process only. */
export const DRAFT_POINTS = 20;
export const DRAFT_WINDOW_S = 2;
/** Drafts one user may have in the pool at once (queued or running). */
export const DRAFT_IN_FLIGHT = 4;
/** A draft stopped at the pool's time limit pauses its sender's checks this long, so one user cannot keep the pool busy. */
export const DRAFT_PAUSE_AFTER_STOP_S = 10;

interface Drafts {
  pool: DraftPool;
  limiter: RateLimiterMemory;
  inFlight: Map<string, number>;
}

const KEY = Symbol.for("ttp.dashboard.drafts");
type Holder = { [KEY]?: Drafts };

/** The process-wide draft pool (1 thread, 2 s per job, 32 queued) and per-user limits, made on first use. */
export function getDrafts(): Drafts {
  const holder = globalThis as Holder;
  holder[KEY] ??= {
    pool: new DraftPool({ threads: 1, timeoutMs: 2000, maxQueued: 32 }),
    limiter: new RateLimiterMemory({ keyPrefix: "drafts", points: DRAFT_POINTS, duration: DRAFT_WINDOW_S }),
    inFlight: new Map(),
  };
  return holder[KEY];
}

const SLOW_DOWN = "Too many validations, slow down";

/**
 * Runs `work` with the draft pool if `user` is within the per-user rate and in-flight limits,
 * else answers BUSY ("too many validations, slow down") without touching the pool.
 */
export async function withDraftBudget<T>(user: User, work: (pool: DraftPool, onStopped: () => void) => Promise<ActionResult<T>>): Promise<ActionResult<T>> {
  const drafts = getDrafts();
  try {
    await drafts.limiter.consume(user.id);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const secs = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
    return fail("BUSY", `${SLOW_DOWN}: try again in ${secs} s (at most ${DRAFT_POINTS} checks every ${DRAFT_WINDOW_S} s; a draft stopped at the time limit pauses checks for ${DRAFT_PAUSE_AFTER_STOP_S} s).`);
  }
  const running = drafts.inFlight.get(user.id) ?? 0;
  if (running >= DRAFT_IN_FLIGHT) return fail("BUSY", `${SLOW_DOWN}: ${running} of your drafts are still being checked.`);
  drafts.inFlight.set(user.id, running + 1);
  try {
    const onStopped = (): void => {
      drafts.limiter.block(user.id, DRAFT_PAUSE_AFTER_STOP_S).catch(async (err: unknown) => {
        (await getServices()).logger.warn("pausing draft checks after a stopped draft failed", { username: user.username, error: String(err) });
      });
    };
    return await work(drafts.pool, onStopped);
  } finally {
    const left = (drafts.inFlight.get(user.id) ?? 1) - 1;
    if (left > 0) drafts.inFlight.set(user.id, left);
    else drafts.inFlight.delete(user.id);
  }
}
