// The one retry/backoff/sleep module of lib/ (the store, the filesystem sync, the master and the
// worker loops use it; lib/worker/util.ts re-exports it).

export interface BackoffOptions {
  /** Delay after the first failure (default 100 ms); each further failure doubles it. */
  baseMs?: number;
  /** Largest delay (default 5000 ms). */
  capMs?: number;
  /**
   * Fraction of the delay drawn at random and taken off (0 = none, the default; 0.5 = between
   * 50 % and 100 % of the delay), so many clients retrying after one outage spread out.
   */
  jitter?: number;
  /** Source of randomness for the jitter (default Math.random). */
  random?: () => number;
}

/** Capped exponential backoff after `failures` consecutive failures: 100 ms, 200 ms, … up to `capMs`, less any jitter. */
export function backoffMs(failures: number, options: BackoffOptions | number = {}): number {
  const o = typeof options === "number" ? { capMs: options } : options;
  const base = o.baseMs ?? 100;
  const cap = o.capMs ?? 5000;
  // Bounded exponent: 2 ** 1100 is Infinity, and Infinity * 0 would be NaN.
  const delay = Math.min(base * 2 ** Math.min(Math.max(0, failures - 1), 64), cap);
  const jitter = Math.min(Math.max(o.jitter ?? 0, 0), 1);
  if (jitter === 0) return delay;
  return Math.round(delay * (1 - jitter * (o.random ?? Math.random)()));
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

export interface RetryOptions extends BackoffOptions {
  /** Stops retrying: the pending sleep ends and the last error is thrown. */
  signal?: AbortSignal;
  /** Whether an error is worth another attempt (default: every error). Others are thrown at once. */
  shouldRetry?: (err: unknown) => boolean;
  /** Called before each sleep, with the failed attempt's number (1-based) and the delay about to be waited. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Calls `fn` until it resolves, sleeping a capped exponential backoff between attempts; throws
 * the error of an attempt `shouldRetry` refuses, or the last error once `signal` aborts.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { signal, shouldRetry, onRetry } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (signal?.aborted || (shouldRetry && !shouldRetry(err))) throw err;
      const delay = backoffMs(attempt, options);
      onRetry?.(err, attempt, delay);
      await sleep(delay, signal);
      if (signal?.aborted) throw err;
    }
  }
}
