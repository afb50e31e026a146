import { parseDatabaseUrl } from "../../db/url";
import { NotFoundError, TtpError, ValidationError, type ValidationIssue, errorMessage } from "../errors";
import { silentLogger, type Logger } from "../logger";
import { backoffMs } from "../retry";
import { createHash } from "node:crypto";
import { withState } from "../rules/compiled";
import { compileFromDefinition, definitionJson } from "../rules/definition";
import { parseRule } from "../rules/parse-rule";
import type { CompiledRule } from "../rules/types";
import { buildState, clearReason } from "../state/policy";
import { defaultState, effectiveState, type RuleState } from "../state/semantics";
import { SPAN, withSpan } from "../telemetry";
import { publishChange, type Bus } from "./bus";
import { ChangeHub } from "./change-hub";
import { PgDriver, SqliteDriver, type DbDriver } from "./db-driver";
import {
  changeLogEntryFromRow,
  changesAfterTx,
  clearStateTx,
  deleteRuleTx,
  getRuleTx,
  getStateTx,
  headSeqTx,
  historyTx,
  isoRequired,
  listDefinitionsTx,
  listRulesTx,
  loadSnapshotTx,
  nearestExpiryTx,
  setStateTx,
  stateFromJoin,
  stateFromRow,
  sweepExpiredTx,
  upsertRulesTx,
  upsertRuleTx,
  type ChangeRow,
  type DefinitionSnapshot,
  type ChangeWithState,
  type RuleRow,
} from "./db-sql";
import { ExpiryScheduler } from "./expiry";
import {
  SYSTEM_EXPIRY_ACTOR,
  type ChangeEvent,
  type ChangeLogEntry,
  type DeleteOptions,
  type HistoryQuery,
  type LoadedRules,
  type RuleChange,
  type RuleOrigin,
  type RuleRecord,
  type RuleStore,
  type SubscribeOptions,
  type RuleUpsert,
  type UpsertOptions,
  type UpsertRulesOptions,
  type UpsertRulesResult,
} from "./types";
import { validateUpserts } from "./batch-upsert";

export interface DatabaseRuleStoreOptions {
  /** `file:./data/ttp.db`, a path, `:memory:` (default) or `postgres://…` (see db/url.ts). */
  url?: string;
  /** Epoch-ms clock for set_at, updated_at, change times and expiry (default Date.now). */
  clock?: () => number;
  bus?: Bus;
  logger?: Logger;
  /** SQLite file: how often `PRAGMA data_version` is checked for other connections' commits (default 5 ms). */
  pollIntervalMs?: number;
  /** PostgreSQL: poll interval when no NOTIFY arrives (default 1000 ms). */
  pgFallbackPollMs?: number;
  /** Revert expired states when they expire (default true). */
  expiry?: boolean;
}

/** A stored definition without compiling it (cheap; includes rows that no longer compile). */
export interface StoredDefinition {
  ruleId: string;
  yamlText: string;
  origin: RuleOrigin;
  revision: number;
  sourcePath: string | null;
}

export interface TailOptions {
  /** Yield changes with seq strictly greater than this (default: the head at call time). */
  fromSeq?: number;
  signal?: AbortSignal;
}

const BATCH = 1000;

interface TailContext {
  stopped: boolean;
  start: number | null;
  startPromise: Promise<number> | null;
  signal: AbortSignal | undefined;
}
const RULE_ID_LINE = /^rule_id:[ \t]*["']?([A-Za-z0-9_]+)["']?[ \t]*(?:#.*)?$/m;



/** Multi-waiter wake-up with a generation counter, so a notify between check and wait is never lost. */
class Wakeup {
  generation = 0;
  private readonly waiters = new Set<() => void>();

  notify(): void {
    this.generation++;
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const w of waiters) w();
  }

  /** Resolves on the next notify after `since`, after `ms` (null = no timeout) or on abort. */
  wait(since: number, ms: number | null, options: { ref?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    if (this.generation !== since || options.signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | null = null;
      const done = (): void => {
        if (timer !== null) clearTimeout(timer);
        this.waiters.delete(done);
        options.signal?.removeEventListener("abort", done);
        resolve();
      };
      this.waiters.add(done);
      options.signal?.addEventListener("abort", done, { once: true });
      if (ms !== null) {
        timer = setTimeout(done, ms);
        if (!options.ref) timer.unref?.();
      }
    });
  }
}

/**
 * The database backend of the rule store (SPEC §3.2) on SQLite or PostgreSQL. Every mutation
 * is one serialised transaction writing its rows and one `ttp_change` row; one internal tail of
 * `ttp_change` feeds subscribers every change (from any process) in seq order, exactly once,
 * and re-arms the expiry timer that reverts expired states.
 */
export class DatabaseRuleStore implements RuleStore {
  readonly backend: "sqlite" | "postgres";
  readonly durableFeed = true;
  private readonly driver: DbDriver;
  private readonly hub = new ChangeHub();
  private readonly wake = new Wakeup();
  private readonly clock: () => number;
  private readonly logger: Logger;
  private readonly bus: Bus | undefined;
  private readonly loopWaitMs: number | null;
  private readonly tailWaitMs: number;
  private readonly expiry: ExpiryScheduler | null;
  private readonly compiled = new Map<string, { yaml: string; rule: CompiledRule }>();
  private readonly ruleProblems = new Map<string, ValidationIssue[]>();
  private readyPromise: Promise<void> | null = null;
  private isReady = false;
  private hubCursor = 0;
  private feedReadCount = 0;
  private closed = false;
  private closing: Promise<void> | null = null;
  private pumping: Promise<void> | null = null;
  private pendingPump: Promise<void> | null = null;
  private loop: Promise<void> | null = null;
  private rearming = false;
  private rearmAgain = false;

  constructor(options: DatabaseRuleStoreOptions = {}) {
    this.clock = options.clock ?? Date.now;
    this.logger = options.logger ?? silentLogger;
    this.bus = options.bus;
    let target;
    try {
      target = parseDatabaseUrl(options.url ?? ":memory:");
    } catch (err) {
      const message = errorMessage(err);
      throw new ValidationError([{ source: "database url", path: [], line: 1, column: 1, message, severity: "error" }], message);
    }
    this.expiry =
      options.expiry === false
        ? null
        : new ExpiryScheduler({
            clock: this.clock,
            onDue: () => this.onExpiryDue(),
            onError: (err) => this.logger.error("expiry sweep failed; retrying", { error: errorMessage(err) }),
          });
    if (target.dialect === "sqlite") {
      this.backend = "sqlite";
      const driver = new SqliteDriver(target.memory ? null : target.path);
      this.driver = driver;
      this.loopWaitMs = target.memory ? null : Math.max(1, options.pollIntervalMs ?? 5);
      this.tailWaitMs = target.memory ? 60_000 : 1000;
      this.hubCursor = driver.readSync(headSeqTx);
      this.isReady = true;
      this.readyPromise = Promise.resolve();
      this.startBackground();
    } else {
      this.backend = "postgres";
      this.loopWaitMs = Math.max(10, options.pgFallbackPollMs ?? 1000);
      this.tailWaitMs = this.loopWaitMs;
      this.driver = new PgDriver({ url: target.connectionString, logger: this.logger, onNotify: () => this.wake.notify() });
      this.ensureReady().catch((err: unknown) =>
        this.logger.error("database store not ready yet; the next call retries", { error: errorMessage(err) }),
      );
    }
  }

  /** Resolves once connected and migrated (immediately for SQLite); a failed attempt is retried by the next call. */
  ready(): Promise<void> {
    return this.ensureReady();
  }

  // ------------------------------------------------------------------ reads

  async loadCompiled(): Promise<LoadedRules> {
    await this.ensureReady();
    const { rules, seq } = await this.driver.read(loadSnapshotTx, true);
    const out: CompiledRule[] = [];
    const seen = new Set<string>();
    for (const row of rules) {
      seen.add(row.rule_id);
      const rule = this.compile(row.rule_id, row.yaml_content, stateFromJoin(row), row);
      if (rule) out.push(rule);
    }
    this.pruneCaches(seen);
    return { rules: out, seq };
  }

  async getState(ruleId: string): Promise<RuleState> {
    await this.ensureReady();
    const row = await this.driver.read(() => getStateTx(ruleId));
    return effectiveState(stateFromRow(row), this.clock());
  }

  async listRules(): Promise<RuleRecord[]> {
    await this.ensureReady();
    const rows = await this.driver.read(listRulesTx);
    const now = this.clock();
    const out: RuleRecord[] = [];
    const seen = new Set<string>();
    for (const row of rows) {
      seen.add(row.rule_id);
      const record = this.toRecord(row, stateFromJoin(row), now);
      if (record) out.push(record);
    }
    this.pruneCaches(seen);
    return out;
  }

  /** Every stored definition's text and bookkeeping, without compiling (used by the filesystem sync). */
  async listDefinitions(): Promise<StoredDefinition[]> {
    await this.ensureReady();
    const rows = await this.driver.read(listDefinitionsTx);
    return rows.map((r) => ({
      ruleId: r.rule_id,
      yamlText: r.yaml_content,
      origin: r.origin,
      revision: Number(r.revision),
      sourcePath: r.source_path,
    }));
  }

  async getRule(ruleId: string): Promise<RuleRecord> {
    await this.ensureReady();
    const row = await this.driver.read(() => getRuleTx(ruleId));
    if (!row) throw new NotFoundError(`rule ${ruleId} not found`);
    const record = this.toRecord(row, stateFromJoin(row), this.clock());
    if (!record) throw new ValidationError(this.ruleProblems.get(ruleId) ?? [], `stored rule ${ruleId} no longer compiles`);
    return record;
  }

  async history(query: HistoryQuery): Promise<ChangeLogEntry[]> {
    await this.ensureReady();
    const rows = await this.driver.read(() => historyTx(query));
    return rows.map(changeLogEntryFromRow);
  }

  /** Stored rules that no longer compile (e.g. after a rule format change); they are left out of loads. */
  problems(): ValidationIssue[] {
    return [...this.ruleProblems.values()].flat();
  }

  /** Reads of `ttp_change` by this instance so far (its feed loop and every `fromSeq` subscription), for tests and benchmarks. */
  get feedReads(): number {
    return this.feedReadCount;
  }

  /** Newest seq of the change feed (0 when empty). */
  async headSeq(): Promise<number> {
    await this.ensureReady();
    return this.driver.read(headSeqTx);
  }

  // ------------------------------------------------------------------ writes

  async upsertRule(yamlText: string, options: UpsertOptions): Promise<RuleRecord> {
    await this.ensureReady();
    requireActor(options.actor, "(draft)");
    const source = RULE_ID_LINE.exec(yamlText)?.[1] ?? "(draft)";
    const parsed = parseRule(yamlText, { source });
    if (!parsed.rule) throw new ValidationError(parsed.issues);
    const rule = parsed.rule;
    const result = await this.driver.write(() =>
      upsertRuleTx({
        ruleId: rule.ruleId,
        ruleVersion: rule.ruleVersion,
        name: rule.name,
        yaml: yamlText,
        origin: options.origin ?? "dashboard",
        sourcePath: options.sourcePath,
        actor: options.actor,
        expectedRevision: options.expectedRevision,
        now: this.nowIso(),
        definition: definitionJson(rule),
        definitionSha256: sha256(yamlText),
      }),
    );
    if (result.rule.yaml_content === yamlText) {
      this.compiled.set(rule.ruleId, { yaml: yamlText, rule });
      this.ruleProblems.delete(rule.ruleId);
    }
    if (result.change) await this.afterCommit([result.change], result.state);
    const record = this.toRecord(result.rule, result.state, this.clock());
    if (!record) throw new TtpError("INTERNAL", `rule ${rule.ruleId} was stored but does not compile`);
    return record;
  }

  async upsertRules(items: readonly RuleUpsert[], options: UpsertRulesOptions): Promise<UpsertRulesResult> {
    await this.ensureReady();
    requireActor(options.actor, "(import)");
    const rules = validateUpserts(items);
    const now = this.nowIso();
    const origin = options.origin ?? "dashboard";
    const inputs = rules.map((rule, i) => ({
      ruleId: rule.ruleId,
      ruleVersion: rule.ruleVersion,
      name: rule.name,
      yaml: rule.yamlText,
      origin,
      sourcePath: items[i]?.sourcePath,
      actor: options.actor,
      now,
      definition: definitionJson(rule),
      definitionSha256: sha256(rule.yamlText),
    }));
    const total = inputs.length;
    const progress = options.onProgress;
    progress?.(0, total);
    const results = await this.driver.write(() => upsertRulesTx(inputs, progress ? (done) => progress(done, total) : undefined));
    const written: string[] = [];
    const unchanged: string[] = [];
    const changes: { row: ChangeRow; state: RuleState }[] = [];
    for (const [i, r] of results.entries()) {
      const rule = rules[i] as CompiledRule;
      if (r.rule.yaml_content === rule.yamlText) {
        this.compiled.set(rule.ruleId, { yaml: rule.yamlText, rule });
        this.ruleProblems.delete(rule.ruleId);
      }
      if (r.change) {
        written.push(rule.ruleId);
        changes.push({ row: r.change, state: r.state });
      } else {
        unchanged.push(rule.ruleId);
      }
    }
    if (changes.length > 0) await this.afterCommitEach(changes);
    return { written, unchanged };
  }

  async deleteRule(ruleId: string, options: DeleteOptions): Promise<void> {
    await this.ensureReady();
    requireActor(options.actor, ruleId);
    const change = await this.driver.write(() =>
      deleteRuleTx({
        ruleId,
        actor: options.actor,
        expectedRevision: options.expectedRevision,
        reason: options.reason ?? null,
        now: this.nowIso(),
      }),
    );
    this.compiled.delete(ruleId);
    this.ruleProblems.delete(ruleId);
    await this.afterCommit([change], defaultState());
  }

  async setState(ruleId: string, input: unknown, actor: string): Promise<RuleState> {
    const requested = (input as { state?: unknown } | null)?.state;
    const attrs = { rule_id: ruleId, set_by: actor, ...(typeof requested === "string" ? { state: requested } : {}) };
    return withSpan(SPAN.stateChange, attrs, async (span) => {
      await this.ensureReady();
      const state = buildState(ruleId, input, actor, this.clock());
      const change = await withSpan(SPAN.writeState, { rule_id: ruleId, state: state.state }, () =>
        this.driver.write(() => setStateTx({ ruleId, state, actor, reason: state.reason, now: state.set_at ?? this.nowIso() })),
      );
      span.setAttribute("ttp.seq", Number(change.seq));
      await this.afterCommit([change], state);
      return state;
    });
  }

  async clearState(ruleId: string, actor: string, reason?: string): Promise<RuleState> {
    return withSpan(SPAN.stateChange, { rule_id: ruleId, state: "enabled", set_by: actor }, async (span) => {
      await this.ensureReady();
      requireActor(actor, ruleId);
      const why = clearReason(ruleId, reason);
      const change = await withSpan(SPAN.writeState, { rule_id: ruleId, state: "enabled" }, () =>
        this.driver.write(() => clearStateTx({ ruleId, actor, reason: why, now: this.nowIso() })),
      );
      span.setAttribute("ttp.seq", Number(change.seq));
      const state = defaultState();
      await this.afterCommit([change], state);
      return state;
    });
  }

  /** Reverts every state that has expired by now (one audited `system:expiry` change each); returns how many. */
  async sweepExpired(): Promise<number> {
    await this.ensureReady();
    const nowMs = this.clock();
    // Cheap read first: processes whose timers fire together do not all queue for the write lock.
    const nearest = await this.driver.read(nearestExpiryTx);
    if (nearest === null || Date.parse(nearest) > nowMs) return 0;
    const changes = await this.driver.write(() => sweepExpiredTx({ now: new Date(nowMs).toISOString(), actor: SYSTEM_EXPIRY_ACTOR }));
    if (changes.length > 0) {
      this.logger.info("expired rule states reverted", { count: changes.length, rule_ids: changes.map((c) => c.rule_id) });
      await this.afterCommit(changes, defaultState());
    }
    return changes.length;
  }

  // ------------------------------------------------------------------ change feed

  /**
   * Without `fromSeq`: live changes from the in-process hub (synchronous registration, resync on
   * overflow). With `fromSeq`: every change with seq > fromSeq read from `ttp_change` in seq order,
   * then live, for as long as it is iterated — survives database outages (capped backoff, resumes
   * from the last seq) and never buffers beyond one batch. Ends on return(), abort or close().
   */
  subscribeChanges(options: SubscribeOptions = {}): AsyncIterableIterator<ChangeEvent> {
    const { fromSeq, ...live } = options;
    if (fromSeq === undefined) return this.hub.subscribe(live);
    return this.feedFrom(fromSeq, options.signal);
  }

  /** @deprecated Use `subscribeChanges({ fromSeq })` (one feed API); kept for callers outside lib/. Without fromSeq: from the head at call time. */
  tail(options: TailOptions = {}): AsyncIterableIterator<RuleChange> {
    return this.feedFrom(options.fromSeq ?? null, options.signal);
  }

  private feedFrom(fromSeq: number | null, signal: AbortSignal | undefined): AsyncIterableIterator<RuleChange> {
    let start: number | null = fromSeq;
    if (start === null && this.driver instanceof SqliteDriver && !this.closed) start = this.driver.readSync(headSeqTx);
    const startPromise: Promise<number> | null = start === null && !this.closed ? this.headSeq() : null;
    startPromise?.catch((err: unknown) => this.logger.warn("change feed: reading the head failed; retrying", { error: errorMessage(err) }));
    const ctx: TailContext = { stopped: false, start, startPromise, signal };
    const gen = this.runTail(ctx);
    const iterator: AsyncIterableIterator<RuleChange> = {
      next: () => gen.next(),
      return: async () => {
        ctx.stopped = true;
        this.wake.notify();
        await gen.return(undefined);
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return iterator;
      },
    };
    return iterator;
  }

  private async *runTail(ctx: TailContext): AsyncGenerator<RuleChange, void, undefined> {
    const signal = ctx.signal;
    const active = (): boolean => !ctx.stopped && !this.closed && !signal?.aborted;
    const waitOptions = { ref: true, ...(signal ? { signal } : {}) };
    let cursor = ctx.start;
    let failures = 0;
    if (cursor === null && ctx.startPromise) {
      try {
        cursor = await ctx.startPromise;
      } catch {
        // Logged where it was started; the loop below retries reading the head with backoff.
      }
    }
    while (cursor === null && active()) {
      try {
        cursor = await this.headSeq();
      } catch (err) {
        failures++;
        this.logger.warn("tail: reading the head failed; retrying", { error: errorMessage(err), attempt: failures });
        await this.wake.wait(this.wake.generation, backoffMs(failures), waitOptions);
      }
    }
    failures = 0;
    while (active() && cursor !== null) {
      const generation = this.wake.generation;
      let rows: ChangeWithState[];
      try {
        await this.ensureReady();
        const from: number = cursor;
        this.feedReadCount++;
        rows = await this.driver.read(() => changesAfterTx(from, BATCH));
        failures = 0;
      } catch (err) {
        if (!active()) break;
        failures++;
        this.logger.warn("tail: reading the change feed failed; retrying", { error: errorMessage(err), attempt: failures, from_seq: cursor });
        await this.wake.wait(this.wake.generation, backoffMs(failures), waitOptions);
        continue;
      }
      for (const row of rows) {
        cursor = Number(row.seq);
        const change = this.toChange(row, stateFromJoin(row));
        if (change) yield change;
        if (!active()) return;
      }
      if (rows.length < BATCH) await this.wake.wait(generation, this.tailWaitMs, waitOptions);
    }
  }

  async close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.expiry?.close();
    this.hub.close();
    this.wake.notify();
    this.closing = (async () => {
      await this.readyPromise?.catch(() => undefined);
      await this.loop;
      await this.pumping?.catch(() => undefined);
      await this.driver.close();
    })();
    return this.closing;
  }

  // ------------------------------------------------------------------ internals

  private ensureReady(): Promise<void> {
    if (this.closed) return Promise.reject(new TtpError("INTERNAL", "the rule store is closed"));
    if (this.isReady) return Promise.resolve();
    if (!this.readyPromise) {
      this.readyPromise = (async () => {
        await this.driver.init();
        this.hubCursor = await this.driver.read(headSeqTx);
        this.isReady = true;
        if (!this.closed) this.startBackground();
      })().catch((err: unknown) => {
        this.readyPromise = null;
        throw err;
      });
    }
    return this.readyPromise;
  }

  private startBackground(): void {
    this.loop = this.feedLoop().catch((err: unknown) =>
      this.logger.error("change feed loop stopped unexpectedly", { error: errorMessage(err) }),
    );
    this.rearmExpiry();
  }

  /** Follows ttp_change for this instance's subscribers and the expiry timer. */
  private async feedLoop(): Promise<void> {
    let failures = 0;
    let due = true;
    while (!this.closed) {
      const generation = this.wake.generation;
      if (this.driver.changedElsewhere()) {
        due = true;
        this.wake.notify();
      }
      if (due) {
        try {
          await this.pump();
          failures = 0;
          due = false;
        } catch (err) {
          if (this.closed) break;
          failures++;
          this.logger.warn("change feed read failed; retrying", { error: errorMessage(err), attempt: failures, seq: this.hubCursor });
          await this.wake.wait(this.wake.generation, backoffMs(failures));
          continue;
        }
      }
      await this.wake.wait(generation, this.loopWaitMs);
      // A notify (local write, NOTIFY, reconnect) or a PostgreSQL poll tick makes a read due.
      if (this.wake.generation !== generation || this.driver.dialect === "postgres") due = true;
    }
  }

  /** Publishes every change after the hub's cursor; concurrent calls coalesce, never overlap. */
  private pump(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (!this.pumping) {
      this.pumping = this.pumpOnce().finally(() => {
        this.pumping = null;
      });
      return this.pumping;
    }
    if (!this.pendingPump) {
      // The running pump's own caller handles its failure; this one starts afresh afterwards.
      this.pendingPump = this.pumping
        .catch(() => undefined)
        .then(() => {
          this.pendingPump = null;
          return this.pump();
        });
    }
    return this.pendingPump;
  }

  private async pumpOnce(): Promise<void> {
    if (this.hub.size === 0 && this.expiry === null) {
      // Nobody to publish to and no expiry timer to re-arm (the CLI): move the cursor to the head
      // instead of reading back every change (an import of 10,000 rules read 10,000 rows here). A
      // subscriber that joined during the read finds its changes by the rows below.
      this.feedReadCount++;
      const head = await this.driver.read(headSeqTx);
      if (this.hub.size === 0) {
        if (head > this.hubCursor) this.hubCursor = head;
        return;
      }
    }
    let stateMoved = false;
    for (;;) {
      const from = this.hubCursor;
      this.feedReadCount++;
      const rows = await this.driver.read(() => changesAfterTx(from, BATCH));
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq <= this.hubCursor) continue;
        this.hubCursor = seq;
        if (row.kind !== "definition") stateMoved = true;
        const change = this.toChange(row, stateFromJoin(row));
        if (change) this.hub.publish(change);
      }
      if (rows.length < BATCH || this.closed) break;
    }
    if (stateMoved) this.rearmExpiry();
  }

  /** After a local commit: subscribers get the change before the write returns; then the bus. */
  private async afterCommit(rows: ChangeRow[], state: RuleState): Promise<void> {
    await this.afterCommitEach(rows.map((row) => ({ row, state })));
  }

  private async afterCommitEach(changes: { row: ChangeRow; state: RuleState }[]): Promise<void> {
    this.wake.notify();
    try {
      await this.pump();
    } catch (err) {
      // Committed: the feed loop delivers it once the database answers again.
      this.logger.warn("change committed but the feed read failed; the feed loop retries", { error: errorMessage(err) });
    }
    if (!this.bus) return;
    for (const { row, state } of changes) {
      const change = this.toChange(row, state);
      if (!change) continue;
      void withSpan(SPAN.publish, { rule_id: change.ruleId, kind: change.kind }, () => publishChange(this.bus, change, this.logger));
    }
  }

  private toChange(row: ChangeRow, state: RuleState): RuleChange | null {
    const meta = { seq: Number(row.seq), actor: row.actor, at: isoRequired(row.at) };
    try {
      switch (row.kind) {
        case "definition": {
          const after = JSON.parse(row.after ?? "null") as DefinitionSnapshot | null;
          if (!after) throw new Error("definition change without an after snapshot");
          const rule = this.compile(row.rule_id, after.yaml, state);
          if (!rule) return null;
          return { ...meta, kind: "definition", ruleId: row.rule_id, rule, revision: Number(after.revision) };
        }
        case "deleted":
          return { ...meta, kind: "deleted", ruleId: row.rule_id };
        case "state": {
          const after = (JSON.parse(row.after ?? "null") as RuleState | null) ?? defaultState();
          return { ...meta, kind: "state", ruleId: row.rule_id, state: after, autoRevert: Boolean(row.auto_revert) };
        }
      }
    } catch (err) {
      this.logger.error("unreadable change row skipped", { seq: meta.seq, rule_id: row.rule_id, kind: row.kind, error: errorMessage(err) });
    }
    return null;
  }

  /**
   * Compiles stored text: from this instance's cache, else from the row's derived definition JSON
   * while it still matches the text (no YAML parse), else by parsing. A rule that no longer
   * compiles is reported in problems(), never thrown.
   */
  private compile(ruleId: string, yaml: string, state: RuleState, row?: RuleRow): CompiledRule | null {
    const cached = this.compiled.get(ruleId);
    if (cached && cached.yaml === yaml) return withState(cached.rule, state);
    if (row?.definition && row.definition_sha256 === sha256(yaml)) {
      const fromDefinition = compileFromDefinition(row.definition, yaml, state);
      if (fromDefinition && fromDefinition.ruleId === ruleId) {
        this.compiled.set(ruleId, { yaml, rule: fromDefinition });
        this.ruleProblems.delete(ruleId);
        return fromDefinition;
      }
    }
    let issues: ValidationIssue[];
    try {
      const parsed = parseRule(yaml, { source: ruleId, state, runTests: false });
      if (parsed.rule) {
        this.compiled.set(ruleId, { yaml, rule: parsed.rule });
        this.ruleProblems.delete(ruleId);
        return parsed.rule;
      }
      issues = parsed.issues.filter((i) => i.severity === "error");
    } catch (err) {
      issues = [{ source: ruleId, path: [], line: 1, column: 1, message: `stored rule cannot be compiled: ${errorMessage(err)}`, severity: "error" }];
    }
    this.compiled.delete(ruleId);
    if (!this.ruleProblems.has(ruleId)) {
      this.logger.warn("stored rule does not compile; it is left out until fixed", { rule_id: ruleId, problems: issues.length });
    }
    this.ruleProblems.set(ruleId, issues);
    return null;
  }

  private pruneCaches(present: Set<string>): void {
    for (const id of this.compiled.keys()) if (!present.has(id)) this.compiled.delete(id);
    for (const id of this.ruleProblems.keys()) if (!present.has(id)) this.ruleProblems.delete(id);
  }

  private toRecord(row: RuleRow, stored: RuleState, nowMs: number): RuleRecord | null {
    const state = effectiveState(stored, nowMs);
    const rule = this.compile(row.rule_id, row.yaml_content, state, row);
    if (!rule) return null;
    return {
      ruleId: row.rule_id,
      ruleVersion: Number(row.rule_version),
      name: row.name,
      yamlText: row.yaml_content,
      revision: Number(row.revision),
      origin: row.origin,
      sourcePath: row.source_path,
      updatedAt: isoRequired(row.updated_at),
      updatedBy: row.updated_by,
      state,
      rule,
    };
  }

  private rearmExpiry(): void {
    const scheduler = this.expiry;
    if (!scheduler || this.closed) return;
    if (this.rearming) {
      this.rearmAgain = true;
      return;
    }
    this.rearming = true;
    this.driver
      .read(nearestExpiryTx)
      .then(
        (at) => scheduler.schedule(at === null ? null : Date.parse(at)),
        (err: unknown) => {
          if (this.closed) return;
          this.logger.warn("reading the nearest expiry failed; retrying in 1 s", { error: errorMessage(err) });
          scheduler.schedule(this.clock() + 1000);
        },
      )
      .finally(() => {
        this.rearming = false;
        if (this.rearmAgain) {
          this.rearmAgain = false;
          this.rearmExpiry();
        }
      });
  }

  private async onExpiryDue(): Promise<void> {
    try {
      if (!this.closed) await this.sweepExpired();
    } finally {
      this.rearmExpiry();
    }
  }

  private nowIso(): string {
    return new Date(this.clock()).toISOString();
  }
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function requireActor(actor: string, source: string): void {
  if (typeof actor !== "string" || actor.trim() === "") {
    throw new ValidationError([{ source, path: ["actor"], line: 1, column: 1, message: "actor must not be empty", severity: "error" }]);
  }
}
