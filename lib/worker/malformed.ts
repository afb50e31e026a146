import type { Logger } from "../logger";
import type { MalformedLine } from "./evaluate-block";

/** JSON.parse quotes the offending input in its message; logs must not carry attacker content. */
export function sanitizeParseError(error: string): string {
  return error.replace(/, ".*"(?:\.\.\.)? is not valid JSON/s, "").slice(0, 300);
}

export interface MalformedReporterOptions {
  /** Input name in messages (`<stdin>` or the file path). */
  source: string;
  logger: Logger;
  /** Lines reported one by one per window (default 10). */
  burst?: number;
  windowMs?: number;
  clock?: () => number;
}

/**
 * Reports malformed input lines on the log with their line number, at most `burst` per window;
 * the rest are counted and summarised once per window (a flood of garbage never floods stderr).
 */
export class MalformedReporter {
  private readonly burst: number;
  private readonly windowMs: number;
  private readonly clock: () => number;
  private windowStart = 0;
  private inWindow = 0;
  private suppressed = 0;
  private lastSuppressedLine = 0;
  total = 0;

  constructor(private readonly options: MalformedReporterOptions) {
    this.burst = options.burst ?? 10;
    this.windowMs = options.windowMs ?? 10_000;
    this.clock = options.clock ?? Date.now;
  }

  /** `count` malformed lines, of which `samples` carry their line and message. */
  report(count: number, samples: readonly MalformedLine[]): void {
    if (count === 0) return;
    this.total += count;
    this.rollWindow();
    let unsampled = count - samples.length;
    for (const s of samples) {
      if (this.inWindow < this.burst) {
        this.inWindow++;
        this.options.logger.warn("malformed event line skipped", { input: this.options.source, line: s.line, error: sanitizeParseError(s.error) });
      } else {
        unsampled++;
        this.lastSuppressedLine = Math.max(this.lastSuppressedLine, s.line);
      }
    }
    this.suppressed += unsampled;
  }

  /** Summarises what was suppressed (call on a timer and at exit). */
  flush(): void {
    if (this.suppressed === 0) return;
    this.options.logger.warn("more malformed event lines skipped (not reported one by one)", {
      input: this.options.source,
      count: this.suppressed,
      ...(this.lastSuppressedLine > 0 ? { last_line: this.lastSuppressedLine } : {}),
      total: this.total,
    });
    this.suppressed = 0;
    this.lastSuppressedLine = 0;
  }

  private rollWindow(): void {
    const now = this.clock();
    if (now - this.windowStart < this.windowMs) return;
    this.flush();
    this.windowStart = now;
    this.inWindow = 0;
  }
}
