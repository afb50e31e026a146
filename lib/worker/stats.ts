/** What a worker or master process knows about itself; read by /healthz, /metrics and the database report. */

import type { MatchCacheTotals } from "../engine/match-cache";
import type { NatsInputStats } from "./nats-input";
import type { InputKind } from "./worker-db";

export type WorkerRole = "master" | "worker";
export type HealthStatus = "ok" | "stale" | "error";

export interface HealthBody {
  status: HealthStatus;
  role: WorkerRole;
  worker_id: string;
  applied_seq: number | null;
  head_seq: number | null;
  lag_seq: number | null;
  lag_seconds: number;
  rules: number;
  db: "up" | "down";
  /** NATS input: stream, durable, connection and the consumer's pending counts. */
  nats?: { stream: string; durable: string; connected: boolean; pending: number | null; ack_pending: number | null };
  /** Why the status is not ok (absent when ok). */
  reason?: string;
}

export interface WorkerIdentity {
  workerId: string;
  role: WorkerRole;
  hostname: string;
  pid: number;
}

export interface WorkerStateOptions extends WorkerIdentity {
  /** Behind the database head for longer than this → stale (default 10 s). */
  staleAfterMs?: number;
  clock?: () => number;
}

/** Counters and feed position of one process; cheap to update on the hot path. */
export class WorkerState {
  readonly identity: WorkerIdentity;
  readonly startedAtMs: number;
  private readonly clock: () => number;
  private readonly staleAfterMs: number;

  /** A rule snapshot has been loaded at least once (until then the process cannot evaluate). */
  loaded = false;
  /** Feed position applied everywhere (engine and every evaluation thread). */
  appliedSeq: number | null = null;
  headSeq: number | null = null;
  rules = 0;
  dbUp = false;
  dbDownSinceMs: number | null = null;
  /** A failure that makes the process unable to work (input or sink broken). */
  fatal: string | null = null;

  events = 0;
  tags = 0;
  tagsBelowFloor = 0;
  malformed = 0;
  reloads = 0;
  /** The engines' match caches (every evaluation thread's included), see lib/engine/match-cache.ts. */
  readonly matchCache: MatchCacheTotals = { lookups: 0, hits: 0, bypassed: 0 };
  readonly changesApplied = { definition: 0, deleted: 0, state: 0 };
  /** lifter kind → events skipped for an ill-typed field, and predicate failures (every thread's). */
  readonly analyzers = new Map<string, { skipped: number; errors: number }>();
  /** rule_id → number of events it fired on (before the sink's confidence floor). */
  readonly fires = new Map<string, number>();
  readonly lastFiredAtMs = new Map<string, number>();
  /** Tags waiting for the database sink. */
  dbTagBacklog = 0;
  /** NATS input counters and consumer state (null for file/stream input). */
  nats: NatsInputStats | null = null;
  natsSource: { stream: string; durable: string } | null = null;
  /** Where events come from, for the drift report (null: the master, or before the input is opened). */
  inputKind: InputKind | null = null;
  private behindSinceMs: number | null = null;

  constructor(options: WorkerStateOptions) {
    this.identity = { workerId: options.workerId, role: options.role, hostname: options.hostname, pid: options.pid };
    this.clock = options.clock ?? Date.now;
    this.staleAfterMs = options.staleAfterMs ?? 10_000;
    this.startedAtMs = this.clock();
  }

  setDbUp(up: boolean): void {
    if (up === this.dbUp) return;
    this.dbUp = up;
    this.dbDownSinceMs = up ? null : this.clock();
  }

  setApplied(seq: number | null): void {
    this.appliedSeq = seq;
    this.updateLag();
  }

  setHead(seq: number): void {
    this.headSeq = seq;
    this.updateLag();
  }

  addMatchCache(delta: MatchCacheTotals): void {
    this.matchCache.lookups += delta.lookups;
    this.matchCache.hits += delta.hits;
    this.matchCache.bypassed += delta.bypassed;
  }

  addAnalyzers(rows: Iterable<readonly [string, number, number]>): void {
    for (const [kind, skipped, errors] of rows) {
      const c = this.analyzers.get(kind) ?? { skipped: 0, errors: 0 };
      c.skipped += skipped;
      c.errors += errors;
      this.analyzers.set(kind, c);
    }
  }

  addFires(pairs: Iterable<readonly [string, number]>, atMs: number): void {
    for (const [ruleId, n] of pairs) {
      this.fires.set(ruleId, (this.fires.get(ruleId) ?? 0) + n);
      this.lastFiredAtMs.set(ruleId, atMs);
    }
  }

  lagSeq(): number | null {
    if (this.headSeq === null || this.appliedSeq === null) return null;
    return Math.max(0, this.headSeq - this.appliedSeq);
  }

  /** Seconds since this process first saw the head ahead of what it had applied (0 when caught up). */
  lagSeconds(): number {
    return this.behindSinceMs === null ? 0 : Math.max(0, (this.clock() - this.behindSinceMs) / 1000);
  }

  health(): HealthBody {
    const lagSeq = this.lagSeq();
    const lagSeconds = this.lagSeconds();
    let status: HealthStatus = "ok";
    let reason: string | undefined;
    if (this.fatal !== null) {
      status = "error";
      reason = this.fatal;
    } else if (!this.loaded) {
      status = "error";
      reason = this.identity.role === "master" ? "not synchronised with the rules directory yet" : "no rule snapshot loaded yet";
    } else if (this.nats && this.nats.pausedReason !== null) {
      status = "stale";
      reason = `input paused: ${this.nats.pausedReason}`;
    } else if (!this.dbUp) {
      status = "stale";
      reason = "database unreachable; running on the last rules loaded";
    } else if (lagSeconds * 1000 > this.staleAfterMs) {
      status = "stale";
      reason = `behind the database head by ${lagSeq ?? "?"} change(s) for ${lagSeconds.toFixed(1)} s`;
    }
    return {
      status,
      role: this.identity.role,
      worker_id: this.identity.workerId,
      applied_seq: this.appliedSeq,
      head_seq: this.headSeq,
      lag_seq: lagSeq,
      lag_seconds: Number(lagSeconds.toFixed(3)),
      rules: this.rules,
      db: this.dbUp ? "up" : "down",
      ...(this.nats && this.natsSource
        ? { nats: { stream: this.natsSource.stream, durable: this.natsSource.durable, connected: this.nats.connected, pending: this.nats.pending, ack_pending: this.nats.ackPending } }
        : {}),
      ...(reason === undefined ? {} : { reason }),
    };
  }

  private updateLag(): void {
    const behind = this.headSeq !== null && this.appliedSeq !== null && this.headSeq > this.appliedSeq;
    if (!behind) this.behindSinceMs = null;
    else if (this.behindSinceMs === null) this.behindSinceMs = this.clock();
  }
}
