/** Longest delay setTimeout accepts (larger values fire at once). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface ExpirySchedulerOptions {
  /** Called at (or just after) the scheduled instant; errors/rejections go to `onError`. */
  onDue: () => void | Promise<void>;
  onError: (err: unknown) => void;
  /** Epoch-ms clock the instants are expressed in (default Date.now). */
  clock?: () => number;
}

/**
 * One unref'd timer armed at the nearest instant it was told about. `schedule(at)` re-arms it
 * (call it after every change that may move the nearest instant); delays beyond setTimeout's
 * limit are reached in hops. It never keeps the process alive.
 */
export class ExpiryScheduler {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private dueAt: number | null = null;
  private closed = false;
  private readonly clock: () => number;

  constructor(private readonly options: ExpirySchedulerOptions) {
    this.clock = options.clock ?? Date.now;
  }

  /** Instant the timer is armed for (null when idle). */
  get nextAt(): number | null {
    return this.dueAt;
  }

  /** Arms the timer for `at` (epoch ms), replacing the current one; null disarms. */
  schedule(at: number | null): void {
    this.clear();
    if (this.closed || at === null || !Number.isFinite(at)) return;
    this.dueAt = at;
    this.arm();
  }

  close(): void {
    this.closed = true;
    this.clear();
  }

  private clear(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.dueAt = null;
  }

  private arm(): void {
    const at = this.dueAt;
    if (at === null) return;
    const delay = Math.max(0, at - this.clock());
    this.timer = setTimeout(() => this.fire(), Math.min(delay, MAX_TIMER_DELAY_MS));
    this.timer.unref?.();
  }

  private fire(): void {
    this.timer = null;
    const at = this.dueAt;
    if (this.closed || at === null) return;
    // A long delay is reached in hops; a timer may also fire a hair early against `clock`.
    if (at - this.clock() > 0) {
      this.arm();
      return;
    }
    this.dueAt = null;
    try {
      const out = this.options.onDue();
      if (out && typeof (out as Promise<void>).then === "function") (out as Promise<void>).catch(this.options.onError);
    } catch (err) {
      this.options.onError(err);
    }
  }
}
