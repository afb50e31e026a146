import type { Engine } from "../engine/engine";
import type { Logger } from "../logger";
import type { LoadedRules, RuleChange, RuleStore } from "../store/types";
import type { EvalPool } from "./eval-pool";
import { toWire, type RuleOp } from "./rule-ops";
import type { WorkerState } from "./stats";
import { backoffMs, errorMessage, sleep } from "./util";

export interface RuleFeedOptions {
  store: RuleStore;
  engine: Engine;
  /** Evaluation threads mirroring the engine (null: the engine alone evaluates). */
  pool: EvalPool | null;
  state: WorkerState;
  logger: Logger;
  signal: AbortSignal;
  /** Changes buffered for this feed beyond which the store sends a resync marker instead (store default 10,000). */
  maxBuffered?: number;
  /** Called once a snapshot (`loaded`) or a change (`applied`) is live in every engine, in feed order. */
  onApplied?: (what: "loaded" | "applied", seq: number | null, change: RuleChange | null) => void;
}

/**
 * Keeps the engine equal to the store: subscribe, load a snapshot, then apply every later change
 * once and in order (definition → install, deleted → delete, state → restamp), skipping changes
 * whose seq the snapshot already includes. The database store feeds its subscribers from one
 * internal tail of `ttp_change` by seq that survives outages and resumes where it stopped; a
 * resync marker (fell too far behind), or any failure of a load, leads to a fresh load (capped
 * backoff between tries). Each swap replaces the engine's snapshot reference, so evaluation never pauses.
 */
export class RuleFeed {
  private lastSeq: number | null = null;
  private firstLoad!: () => void;
  /** Resolves after the first snapshot is live (never rejects; pending while the store is unreachable). */
  readonly loaded: Promise<void> = new Promise((resolve) => (this.firstLoad = resolve));

  constructor(private readonly o: RuleFeedOptions) {}

  async run(): Promise<void> {
    let failures = 0;
    const { signal, logger } = this.o;
    while (!signal.aborted) {
      try {
        await this.session(() => {
          failures = 0;
        });
        return;
      } catch (err) {
        if (signal.aborted) return;
        failures++;
        const delay = backoffMs(failures);
        if (failures === 1 || failures % 10 === 0) {
          logger.warn("loading rules failed; keeping the last rules and retrying", { attempt: failures, delay_ms: delay, error: errorMessage(err) });
        }
        await sleep(delay, signal);
      }
    }
  }

  private async session(onLoaded: () => void): Promise<void> {
    const { store, signal } = this.o;
    // Subscribe before loading (SPEC §3): nothing committed in between is lost.
    const subscription = store.subscribeChanges({ signal, ...(this.o.maxBuffered === undefined ? {} : { maxBuffered: this.o.maxBuffered }) });
    try {
      const snapshot = await store.loadCompiled();
      this.replace(snapshot);
      onLoaded();
      for await (const c of subscription) {
        if (signal.aborted) break;
        if (c.kind === "resync") {
          this.o.logger.warn("fell behind the change feed; reloading every rule", { reason: c.reason });
          this.replace(await store.loadCompiled());
          continue;
        }
        if (c.seq !== null && this.lastSeq !== null && c.seq <= this.lastSeq) continue;
        this.apply(c);
      }
    } finally {
      await subscription.return?.();
    }
  }

  private replace(snapshot: LoadedRules): void {
    const { engine, state } = this.o;
    engine.replaceAll(snapshot.rules);
    this.lastSeq = snapshot.seq;
    state.reloads++;
    this.publish(() => ({ op: "replace", rules: snapshot.rules.map(toWire) }), () => {
      state.rules = engine.size;
      state.setApplied(snapshot.seq);
      if (!state.loaded) {
        state.loaded = true;
        this.firstLoad();
      }
      this.o.onApplied?.("loaded", snapshot.seq, null);
    });
  }

  private apply(c: RuleChange): void {
    const { engine, state } = this.o;
    let op: () => RuleOp;
    switch (c.kind) {
      case "definition":
        engine.install(c.rule);
        op = () => ({ op: "install", rule: toWire(c.rule) });
        break;
      case "deleted":
        engine.delete(c.ruleId);
        op = () => ({ op: "delete", ruleId: c.ruleId });
        break;
      case "state":
        engine.restamp(c.ruleId, c.state);
        op = () => ({ op: "restamp", ruleId: c.ruleId, state: c.state });
        break;
    }
    if (c.seq !== null) this.lastSeq = c.seq;
    this.publish(op, () => {
      state.changesApplied[c.kind]++;
      state.rules = engine.size;
      if (c.seq !== null) state.setApplied(c.seq);
      this.o.onApplied?.("applied", c.seq, c);
    });
  }

  /** Runs `done` once the op is live everywhere: at once without threads, else when every thread has acknowledged it. */
  private publish(op: () => RuleOp, done: () => void): void {
    const pool = this.o.pool;
    if (!pool) {
      done();
      return;
    }
    pool.broadcast(op()).then(done, (err: unknown) => this.o.logger.error("an evaluation thread failed to apply a rule change", { error: errorMessage(err) }));
  }
}
