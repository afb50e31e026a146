import type { Logger } from "../logger";
import type { WorkerState } from "./stats";
import type { RuleStatsRow, WorkerDb, WorkerReport } from "./worker-db";
import { errorMessage, nowIso } from "./util";

/**
 * Writes the drift and noise report (`ttp_worker`, `ttp_rule_stats`, `ttp_rule_fires_minute`)
 * every `intervalMs`. Only rules whose counts moved since the last successful report are written;
 * a failed report is logged and simply retried at the next tick (counts are cumulative, nothing
 * is lost, and the minute buckets get the delta against the stored count: see writeReport).
 */
export class Reporter {
  private timer: ReturnType<typeof setInterval> | null = null;
  private running: Promise<void> | null = null;
  private readonly written = new Map<string, { fires: number; recent: number }>();
  /** Fire totals at the previous tick, for `recent_fires`. */
  private readonly previous = new Map<string, number>();
  private failures = 0;

  constructor(
    private readonly db: WorkerDb,
    private readonly state: WorkerState,
    private readonly options: { intervalMs: number; logger: Logger },
  ) {}

  start(): void {
    if (this.timer || this.options.intervalMs <= 0) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.options.intervalMs);
    this.timer.unref?.();
  }

  /** One report now (skipped when the previous one is still running). */
  tick(status?: WorkerReport["status"]): Promise<void> {
    if (this.running) return this.running;
    this.running = this.report(status).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops the timer and writes a last report with status `stopped` (errors are logged). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.options.intervalMs <= 0) return;
    await this.running;
    await this.tick("stopped");
  }

  private async report(status?: WorkerReport["status"]): Promise<void> {
    const s = this.state;
    const now = Date.now();
    const stats: RuleStatsRow[] = [];
    const recentNow = new Map<string, number>();
    for (const [ruleId, fires] of s.fires) {
      const recent = fires - (this.previous.get(ruleId) ?? 0);
      recentNow.set(ruleId, fires);
      const last = this.written.get(ruleId);
      if (last && last.fires === fires && last.recent === recent) continue;
      const lastFired = s.lastFiredAtMs.get(ruleId);
      stats.push({ ruleId, fires, recentFires: recent, lastFiredAt: lastFired === undefined ? null : nowIso(lastFired) });
    }
    const report: WorkerReport = {
      ...s.identity,
      status: status ?? s.health().status,
      appliedSeq: s.appliedSeq,
      headSeq: s.headSeq,
      ruleCount: s.rules,
      eventsTotal: s.events,
      tagsTotal: s.tags,
      malformedTotal: s.malformed,
      reportIntervalMs: this.options.intervalMs,
      startedAt: nowIso(s.startedAtMs),
      lastSeenAt: nowIso(now),
      inputKind: s.inputKind,
      natsStream: s.natsSource?.stream ?? null,
      natsDurable: s.natsSource?.durable ?? null,
      natsPending: s.natsSource ? (s.nats?.pending ?? null) : null,
    };
    try {
      await this.db.writeReport(report, stats);
      for (const row of stats) this.written.set(row.ruleId, { fires: row.fires, recent: row.recentFires });
      for (const [ruleId, fires] of recentNow) this.previous.set(ruleId, fires);
      if (this.failures > 0) this.options.logger.info("worker report written again", { after_failures: this.failures });
      this.failures = 0;
    } catch (err) {
      this.failures++;
      if (this.failures === 1 || this.failures % 12 === 0) {
        this.options.logger.warn("writing the worker report failed; retrying at the next interval", { attempt: this.failures, error: errorMessage(err) });
      }
    }
  }
}
