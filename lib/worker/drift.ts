// The drift and noise view (the console's /workers, `ttp workers`) of the rows workers report
// (SPEC §5): pure, so it is unit-tested without a database.

import type { StoredRuleStats, WorkerReport } from "./worker-db";

/** What the view needs of one `ttp_worker` row. */
export type WorkerInput = Omit<WorkerReport, "headSeq">;

export interface WorkerView extends WorkerInput {
  /** Changes in the feed this worker had not applied at its last report (head now − applied); null when unknown. */
  lag: number | null;
  /** Reports stopped coming although the worker did not say it stopped: dead, partitioned or paused. */
  silent: boolean;
  /** What an operator should read first: stopped, silent, error, behind, stale, ok. */
  verdict: "ok" | "behind" | "stale" | "error" | "silent" | "stopped";
}

/** A worker is silent after this many report intervals without a report (at least 15 s). */
export const SILENT_AFTER_INTERVALS = 3;
const MIN_SILENT_MS = 15_000;

export function workerViews(workers: readonly WorkerInput[], headSeq: number | null, nowMs: number): WorkerView[] {
  return workers.map((w) => {
    const lag = headSeq !== null && w.appliedSeq !== null ? Math.max(0, headSeq - w.appliedSeq) : null;
    const seenAgo = nowMs - Date.parse(w.lastSeenAt);
    const silent = w.status !== "stopped" && seenAgo > Math.max(MIN_SILENT_MS, SILENT_AFTER_INTERVALS * w.reportIntervalMs);
    const verdict: WorkerView["verdict"] =
      w.status === "stopped" ? "stopped" : silent ? "silent" : w.status === "error" ? "error" : lag !== null && lag > 0 ? "behind" : w.status === "stale" ? "stale" : "ok";
    return { ...w, lag, silent, verdict };
  });
}

/** The worker's input in one short phrase: `nats <stream>/<durable>, <n> pending`, `file`, `stdin`, or `-` (none: the master). */
export function describeInput(w: Pick<WorkerInput, "inputKind" | "natsStream" | "natsDurable" | "natsPending">): string {
  if (w.inputKind === null) return "-";
  if (w.inputKind !== "nats") return w.inputKind;
  return `nats ${w.natsStream ?? "?"}/${w.natsDurable ?? "?"}, ${w.natsPending === null ? "pending unknown" : `${w.natsPending} pending`}`;
}

/** What the view needs of one `ttp_rule_stats` row. */
export type RuleStatsInput = Pick<StoredRuleStats, "workerId" | "ruleId" | "fires" | "recentFires" | "lastFiredAt">;

export interface NoisyRule {
  ruleId: string;
  /** Events the rule fired on, summed over workers (since each started). */
  fires: number;
  /** Of which in each worker's last report interval. */
  recentFires: number;
  lastFiredAt: string | null;
  workers: number;
}

/** Rules by how much they fire across workers: recent fires first, then all-time fires, then id. */
export function noisyRules(stats: readonly RuleStatsInput[], limit = 20): NoisyRule[] {
  const byRule = new Map<string, NoisyRule>();
  for (const s of stats) {
    const r = byRule.get(s.ruleId) ?? { ruleId: s.ruleId, fires: 0, recentFires: 0, lastFiredAt: null, workers: 0 };
    r.fires += s.fires;
    r.recentFires += s.recentFires;
    r.workers += 1;
    if (s.lastFiredAt !== null && (r.lastFiredAt === null || Date.parse(s.lastFiredAt) > Date.parse(r.lastFiredAt))) r.lastFiredAt = s.lastFiredAt;
    byRule.set(s.ruleId, r);
  }
  return [...byRule.values()]
    .filter((r) => r.fires > 0)
    .sort((a, b) => b.recentFires - a.recentFires || b.fires - a.fires || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0))
    .slice(0, limit);
}

/** The last `hours` as whole buckets of `bucketMinutes` ending with the bucket that holds `nowMs` (Unix minutes, for WorkerDb.fireSeries). */
export function fireWindow(nowMs: number, hours = 24, bucketMinutes = 15): { fromMinute: number; toMinute: number; bucketMinutes: number } {
  const nowMinute = Math.floor(nowMs / 60_000);
  const toMinute = (Math.floor(nowMinute / bucketMinutes) + 1) * bucketMinutes;
  return { fromMinute: toMinute - Math.ceil((hours * 60) / bucketMinutes) * bucketMinutes, toMinute, bucketMinutes };
}
