import { createHash, randomBytes } from "node:crypto";
import { lstat, open, readdir, readFile, rename, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { watch, type FSWatcher } from "chokidar";
import { ConflictError, NotFoundError, TtpError, ValidationError, type ValidationIssue } from "../errors";
import { silentLogger, type Logger } from "../logger";
import { withState } from "../rules/compiled";
import { parseRule } from "../rules/parse-rule";
import { isRuleFileName, ruleIdFromFileName } from "../rules/rule-files";
import type { CompiledRule } from "../rules/types";
import { buildState, clearReason } from "../state/policy";
import { defaultState, effectiveState, isExpired, type RuleState } from "../state/semantics";
import { SPAN, withSpan } from "../telemetry";
import { publishChange, type Bus } from "./bus";
import { ChangeHub, prependEvents } from "./change-hub";
import { ExpiryScheduler } from "./expiry";
import {
  SYSTEM_EXPIRY_ACTOR,
  type ChangeEvent,
  type ChangeLogEntry,
  type DeleteOptions,
  type HistoryQuery,
  type LoadedRules,
  type RuleChange,
  type RuleRecord,
  type RuleStore,
  type SubscribeOptions,
  type RuleUpsert,
  type UpsertOptions,
  type UpsertRulesOptions,
  type UpsertRulesResult,
} from "./types";
import { validateUpserts } from "./batch-upsert";

/** Actor recorded for edits made to the rules directory outside the store (editor, git pull…). */
export const FILESYSTEM_ACTOR = "system:filesystem";

/** Default cap on the in-memory change log. */
export const DEFAULT_HISTORY_LIMIT = 10_000;

/** How long a file's size must stay unchanged before it is read (half-written files are not published). */
export const DEFAULT_STABILITY_MS = 75;

export interface FilesystemRuleStoreOptions {
  dir: string;
  /** Epoch milliseconds; defaults to Date.now. */
  clock?: () => number;
  bus?: Bus;
  logger?: Logger;
  /** Watch the directory for external edits (default true); false = scan once (CLI). */
  watch?: boolean;
  stabilityMs?: number;
  historyLimit?: number;
}

/** What the store last read from one rule file. */
interface FileSnapshot {
  hash: string;
  text: string;
  /** Null when the file has error-severity problems. */
  rule: CompiledRule | null;
  issues: ValidationIssue[];
  mtimeMs: number;
}

/** The live (last good) definition of one rule. */
interface LiveRule {
  rule: CompiledRule;
  text: string;
  hash: string;
  path: string;
  revision: number;
  updatedAt: string;
  updatedBy: string | null;
}

interface ChangeContext {
  actor: string;
  reason: string | null;
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

function definitionSnapshot(live: LiveRule): Record<string, unknown> {
  return { yaml: live.text, revision: live.revision, rule_version: live.rule.ruleVersion, origin: "filesystem" };
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR";
}

/**
 * Rule store over a directory of YAML files (SPEC §3.1). Definitions come from the files (watched
 * with chokidar); operational state, revisions and the change log live in memory and are lost on
 * restart, by design. Every mutation — API write or observed file edit — runs through one queue,
 * so revisions, seq and published changes follow a single order.
 */
export class FilesystemRuleStore implements RuleStore {
  readonly backend = "filesystem" as const;
  readonly durableFeed = false;
  readonly dir: string;

  private readonly clock: () => number;
  private readonly bus: Bus | undefined;
  private readonly log: Logger;
  private readonly watchEnabled: boolean;
  private readonly stabilityMs: number;
  private readonly historyLimit: number;

  private readonly hub = new ChangeHub();
  private readonly files = new Map<string, FileSnapshot>();
  private readonly live = new Map<string, LiveRule>();
  private readonly states = new Map<string, RuleState>();
  private readonly changeLog: ChangeLogEntry[] = [];
  /** The changes behind changeLog, for subscribeChanges({ fromSeq }) (same bound). */
  private readonly recentChanges: RuleChange[] = [];
  private readonly expiry: ExpiryScheduler;
  private seq = 0;
  private watcher: FSWatcher | null = null;
  private readonly verifyTimers = new Map<string, NodeJS.Timeout>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly readyPromise: Promise<void>;

  constructor(options: FilesystemRuleStoreOptions) {
    this.dir = path.resolve(options.dir);
    this.clock = options.clock ?? Date.now;
    this.bus = options.bus;
    this.log = options.logger ?? silentLogger;
    this.watchEnabled = options.watch ?? true;
    this.stabilityMs = options.stabilityMs ?? DEFAULT_STABILITY_MS;
    this.historyLimit = options.historyLimit ?? DEFAULT_HISTORY_LIMIT;
    this.expiry = new ExpiryScheduler({
      clock: this.clock,
      onDue: () => this.revertExpired(),
      onError: (err) => this.log.error("expiry sweep failed", { error: err instanceof Error ? err.message : String(err) }),
    });
    this.readyPromise = this.start();
    // Callers that never await ready() still see the failure through the next method call.
    this.readyPromise.catch(() => undefined);
  }

  /** Resolves when the initial scan is done (and the watcher is armed); rejects when the directory is unusable. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  // ---------------------------------------------------------------- reads

  async loadCompiled(): Promise<LoadedRules> {
    await this.ready();
    const rules = [...this.live.values()]
      .map((l) => withState(l.rule, this.states.get(l.rule.ruleId) ?? defaultState()))
      .sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
    return { rules, seq: this.seq };
  }

  async getState(ruleId: string): Promise<RuleState> {
    await this.ready();
    return { ...effectiveState(this.states.get(ruleId), this.clock()) };
  }

  async listRules(): Promise<RuleRecord[]> {
    await this.ready();
    return [...this.live.keys()].sort().map((id) => this.record(id));
  }

  async getRule(ruleId: string): Promise<RuleRecord> {
    await this.ready();
    if (!this.live.has(ruleId)) throw new NotFoundError(`rule ${ruleId} not found`);
    return this.record(ruleId);
  }

  async history(query: HistoryQuery): Promise<ChangeLogEntry[]> {
    await this.ready();
    const out: ChangeLogEntry[] = [];
    for (let i = this.changeLog.length - 1; i >= 0 && out.length < query.limit; i--) {
      const e = this.changeLog[i] as ChangeLogEntry;
      if (query.before !== undefined && e.seq >= query.before) continue;
      if (query.ruleId !== undefined && e.ruleId !== query.ruleId) continue;
      if (query.actor !== undefined && e.actor !== query.actor) continue;
      if (query.kind !== undefined && e.kind !== query.kind) continue;
      if (query.autoRevert !== undefined && e.autoRevert !== query.autoRevert) continue;
      out.push(e);
    }
    return out;
  }

  problems(): ValidationIssue[] {
    const issues: ValidationIssue[] = [];
    const byStem = new Map<string, string[]>();
    for (const [p, snap] of [...this.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      issues.push(...snap.issues);
      if (snap.rule) {
        const list = byStem.get(snap.rule.ruleId) ?? [];
        list.push(p);
        byStem.set(snap.rule.ruleId, list);
      }
    }
    for (const [ruleId, paths] of byStem) {
      if (paths.length < 2) continue;
      for (const p of paths) {
        issues.push({
          source: p,
          path: ["rule_id"],
          line: 1,
          column: 1,
          message: `duplicate rule_id "${ruleId}" (also in ${paths.filter((x) => x !== p).join(", ")})`,
          severity: "error",
        });
      }
    }
    return issues;
  }

  /**
   * Live changes; with `fromSeq` (this process's seq) first the retained changes after it, or a
   * resync marker when the retained window no longer reaches back that far.
   */
  subscribeChanges(options: SubscribeOptions = {}): AsyncIterableIterator<ChangeEvent> {
    const { fromSeq, ...live } = options;
    const subscription = this.hub.subscribe(live);
    if (fromSeq === undefined || fromSeq >= this.seq || options.signal?.aborted) return subscription;
    const oldest = this.recentChanges[0]?.seq ?? this.seq + 1;
    const replay: ChangeEvent[] =
      fromSeq + 1 < oldest
        ? [{ kind: "resync", reason: `changes after seq ${fromSeq} are no longer held (oldest ${oldest}); reload` }]
        : this.recentChanges.filter((c) => (c.seq ?? 0) > fromSeq);
    return prependEvents(replay, subscription);
  }

  async headSeq(): Promise<number> {
    await this.ready();
    return this.seq;
  }

  // ---------------------------------------------------------------- state

  async setState(ruleId: string, input: unknown, actor: string): Promise<RuleState> {
    await this.ready();
    const state = buildState(ruleId, input, actor, this.clock());
    return this.writeState(ruleId, state, { actor, reason: state.reason }, false);
  }

  async clearState(ruleId: string, actor: string, reason?: string): Promise<RuleState> {
    await this.ready();
    if (actor.trim() === "") {
      throw new ValidationError([
        { source: ruleId, path: ["set_by"], line: 1, column: 1, message: "actor must not be empty", severity: "error" },
      ]);
    }
    return this.writeState(ruleId, null, { actor, reason: clearReason(ruleId, reason) }, false);
  }

  /** Stores `next` (null = back to the default) with its change-log entry, change and bus message. */
  private async writeState(ruleId: string, next: RuleState | null, ctx: ChangeContext, autoRevert: boolean): Promise<RuleState> {
    const shown = next ?? defaultState();
    return withSpan(SPAN.stateChange, { rule_id: ruleId, state: shown.state, set_by: ctx.actor }, async () => {
      const change = await withSpan(SPAN.writeState, { rule_id: ruleId }, async () => {
        this.assertOpen();
        if (!this.live.has(ruleId)) throw new NotFoundError(`rule ${ruleId} not found`);
        const before = this.states.get(ruleId) ?? null;
        if (next) this.states.set(ruleId, next);
        else this.states.delete(ruleId);
        const c = this.commit(
          { kind: "state", ruleId, state: { ...shown }, autoRevert },
          ctx,
          { before, after: next ? { ...next } : defaultState() },
        );
        this.rearmExpiry();
        return c;
      });
      await withSpan(SPAN.publish, { rule_id: ruleId }, () => publishChange(this.bus, change, this.log));
      return { ...shown };
    });
  }

  /** Reverts every state whose expiry has passed (actor `system:expiry`, autoRevert true), then re-arms. */
  private async revertExpired(): Promise<void> {
    if (this.closed) return;
    const now = this.clock();
    const due = [...this.states].filter(([, s]) => isExpired(s, now)).map(([id]) => id);
    for (const ruleId of due) {
      const s = this.states.get(ruleId);
      // A newer state written in the meantime is never reverted.
      if (!s || !isExpired(s, this.clock())) continue;
      try {
        await this.writeState(ruleId, null, { actor: SYSTEM_EXPIRY_ACTOR, reason: "expired" }, true);
      } catch (err) {
        this.log.error("expiry revert failed", { rule_id: ruleId, error: err instanceof Error ? err.message : String(err) });
      }
    }
    this.rearmExpiry();
  }

  private rearmExpiry(): void {
    let next: number | null = null;
    for (const s of this.states.values()) {
      if (s.expires_at === null) continue;
      const t = Date.parse(s.expires_at);
      if (Number.isFinite(t) && (next === null || t < next)) next = t;
    }
    this.expiry.schedule(next);
  }

  // ---------------------------------------------------------------- definitions

  async upsertRule(yamlText: string, options: UpsertOptions): Promise<RuleRecord> {
    await this.ready();
    const parsed = parseRule(yamlText, { source: options.sourcePath ?? "(rule)" });
    if (!parsed.rule) throw new ValidationError(parsed.issues);
    const ruleId = parsed.rule.ruleId;
    return this.exclusive(async () => {
      this.assertOpen();
      const current = this.live.get(ruleId);
      this.checkRevision(ruleId, current, options.expectedRevision);
      const target = current?.path ?? this.existingFileFor(ruleId) ?? path.join(this.dir, `${ruleId}.yaml`);
      // Re-validate with the file's own name so issues and the stem check match what the watcher sees.
      const checked = parseRule(yamlText, { source: target, expectedRuleId: ruleId });
      if (!checked.rule) throw new ValidationError(checked.issues);
      const hash = sha256(yamlText);
      // Same text as the live file: nothing to write, no new revision (one change per content change).
      if (current && current.hash === hash && current.path === target && this.files.get(target)?.hash === hash) {
        return this.record(ruleId);
      }
      await this.writeAtomically(target, yamlText);
      const mtimeMs = await this.mtimeOf(target);
      this.files.set(target, { hash, text: yamlText, rule: checked.rule, issues: checked.issues, mtimeMs });
      const changes = this.reconcile(ruleId, { actor: options.actor, reason: null });
      await this.publishAll(changes);
      return this.record(ruleId);
    });
  }

  /** Validates every text first; then writes each rule's file atomically (a disk failure part-way keeps the files already written). */
  async upsertRules(items: readonly RuleUpsert[], options: UpsertRulesOptions): Promise<UpsertRulesResult> {
    await this.ready();
    const rules = validateUpserts(items);
    const written: string[] = [];
    const unchanged: string[] = [];
    const total = rules.length;
    options.onProgress?.(0, total);
    for (const [i, rule] of rules.entries()) {
      const before = this.live.get(rule.ruleId)?.revision;
      const sourcePath = items[i]?.sourcePath;
      const rec = await this.upsertRule(rule.yamlText, { actor: options.actor, ...(options.origin ? { origin: options.origin } : {}), ...(sourcePath === undefined ? {} : { sourcePath }) });
      (rec.revision === before ? unchanged : written).push(rule.ruleId);
      options.onProgress?.(i + 1, total);
    }
    return { written, unchanged };
  }

  async deleteRule(ruleId: string, options: DeleteOptions): Promise<void> {
    await this.ready();
    await this.exclusive(async () => {
      this.assertOpen();
      const current = this.live.get(ruleId);
      if (!current) throw new NotFoundError(`rule ${ruleId} not found`);
      this.checkRevision(ruleId, current, options.expectedRevision);
      // Every file that claims the id goes, or a duplicate would take over as the "new" rule.
      for (const p of this.filesFor(ruleId)) {
        try {
          await unlink(p);
        } catch (err) {
          if (!isMissing(err)) throw new TtpError("INTERNAL", `cannot delete ${p}: ${(err as Error).message}`, { cause: err });
        }
        this.files.delete(p);
      }
      const changes = this.reconcile(ruleId, { actor: options.actor, reason: options.reason ?? null });
      await this.publishAll(changes);
    });
  }

  private checkRevision(ruleId: string, current: LiveRule | undefined, expected: number | undefined): void {
    if (expected === undefined) return;
    const rev = current?.revision ?? 0;
    if (expected !== rev) {
      throw new ConflictError(
        current
          ? `rule ${ruleId} is at revision ${rev}, not ${expected}; reload and apply your edit again`
          : `rule ${ruleId} does not exist (expected revision ${expected})`,
        current ? rev : null,
      );
    }
  }

  private filesFor(ruleId: string): string[] {
    return [...this.files.keys()].filter((p) => ruleIdFromFileName(path.basename(p)) === ruleId).sort();
  }

  private existingFileFor(ruleId: string): string | null {
    return this.filesFor(ruleId)[0] ?? null;
  }

  /** Temp file in the same directory (a name the allowlist ignores), fsync, rename over the target. */
  private async writeAtomically(target: string, text: string): Promise<void> {
    const tmp = path.join(this.dir, `.${path.basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
    const handle = await open(tmp, "wx", 0o644);
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(tmp, target);
    } catch (err) {
      await unlink(tmp).catch((e: unknown) => this.log.warn("cannot remove temp file", { path: tmp, error: String(e) }));
      throw new TtpError("INTERNAL", `cannot write ${target}: ${(err as Error).message}`, { cause: err });
    }
    const dirHandle = await open(this.dir, "r").catch(() => null);
    if (dirHandle) {
      await dirHandle.sync().catch(() => undefined);
      await dirHandle.close();
    }
  }

  private async mtimeOf(p: string): Promise<number> {
    try {
      return (await stat(p)).mtimeMs;
    } catch (err) {
      if (isMissing(err)) return this.clock();
      throw err;
    }
  }

  // ---------------------------------------------------------------- files → live rules

  private async start(): Promise<void> {
    const st = await stat(this.dir).catch((err: unknown) => {
      throw new NotFoundError(`rules directory ${this.dir} is not readable: ${(err as Error).message}`);
    });
    if (!st.isDirectory()) throw new NotFoundError(`rules directory ${this.dir} is not a directory`);
    if (this.watchEnabled) await this.startWatcher();
    // Scan after the watcher is armed so nothing written in between is missed; events that
    // arrive meanwhile queue behind the scan and dedup by hash.
    await this.exclusive(() => this.scan());
  }

  private async startWatcher(): Promise<void> {
    const root = this.dir;
    const watcher = watch(root, {
      depth: 0,
      ignoreInitial: true,
      persistent: true,
      followSymlinks: false,
      awaitWriteFinish: { stabilityThreshold: this.stabilityMs, pollInterval: Math.max(10, Math.floor(this.stabilityMs / 3)) },
      ignored: (p: string) => p !== root && path.dirname(p) === root && !isRuleFileName(path.basename(p)),
    });
    this.watcher = watcher;
    const onPath = (p: string): void => {
      if (path.dirname(p) !== root || !isRuleFileName(path.basename(p))) return;
      void this.exclusive(() => this.refreshFile(p)).catch((err: unknown) =>
        this.log.error("rule file refresh failed", { path: p, error: err instanceof Error ? err.message : String(err) }),
      );
    };
    watcher.on("add", onPath).on("change", onPath).on("unlink", onPath);
    // chokidar drops both events when a file appears and vanishes within its awaitWriteFinish
    // window (e.g. our own atomic write renamed away at once): every raw OS event therefore also
    // schedules a debounced re-read, which is a no-op when the content hash is unchanged.
    watcher.on("raw", (_event: string, name: string, details: unknown) => {
      const watched = (details as { watchedPath?: string } | undefined)?.watchedPath;
      if (!watched || !name) return;
      const p = watched === root ? path.join(root, name) : path.dirname(watched) === root ? watched : null;
      if (p && isRuleFileName(path.basename(p))) this.scheduleVerify(p);
    });
    watcher.on("error", (err) => this.log.error("rules directory watcher error", { dir: root, error: String(err) }));
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  }

  private scheduleVerify(p: string): void {
    if (this.closed) return;
    const pending = this.verifyTimers.get(p);
    if (pending) clearTimeout(pending);
    const t = setTimeout(() => {
      this.verifyTimers.delete(p);
      void this.exclusive(() => this.refreshFile(p)).catch((err: unknown) =>
        this.log.error("rule file refresh failed", { path: p, error: err instanceof Error ? err.message : String(err) }),
      );
    }, this.stabilityMs * 2);
    t.unref();
    this.verifyTimers.set(p, t);
  }

  private async scan(): Promise<void> {
    const entries = await readdir(this.dir, { withFileTypes: true });
    const ids = new Set<string>();
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!e.isFile() || !isRuleFileName(e.name)) continue;
      const p = path.join(this.dir, e.name);
      await this.readFileSnapshot(p);
      ids.add(ruleIdFromFileName(e.name) as string);
    }
    // The initial scan is the baseline (revision 1, no change events, no log entries).
    for (const id of ids) this.reconcile(id, null);
  }

  /** Re-reads one file (whatever its event said) and applies what changed. */
  private async refreshFile(p: string): Promise<void> {
    if (this.closed) return;
    const changed = await this.readFileSnapshot(p);
    if (!changed) return;
    const ruleId = ruleIdFromFileName(path.basename(p));
    if (!ruleId) return;
    await this.publishAll(this.reconcile(ruleId, { actor: FILESYSTEM_ACTOR, reason: null }));
  }

  /** Reads `p` into `files`; returns false when its content is what we already had. */
  private async readFileSnapshot(p: string): Promise<boolean> {
    const ruleId = ruleIdFromFileName(path.basename(p)) as string;
    let text: string | null = null;
    let mtimeMs = 0;
    try {
      const st = await lstat(p);
      if (st.isFile()) {
        text = await readFile(p, "utf8");
        mtimeMs = st.mtimeMs;
      }
    } catch (err) {
      if (!isMissing(err)) throw err;
    }
    const prev = this.files.get(p);
    if (text === null) {
      if (!prev) return false;
      this.files.delete(p);
      return true;
    }
    const hash = sha256(text);
    if (prev && prev.hash === hash) return false;
    const parsed = parseRule(text, { source: p, expectedRuleId: ruleId });
    this.files.set(p, { hash, text, rule: parsed.rule, issues: parsed.issues, mtimeMs });
    if (!parsed.rule) this.log.warn("rule file has problems; its last good version stays live", { path: p, problems: parsed.issues.length });
    return true;
  }

  /**
   * Makes the live rule for `ruleId` follow its file(s): one valid file → that definition;
   * no file → deleted; invalid or duplicated files → the last good version stays live.
   * `ctx` null = baseline scan (nothing recorded or published). Returns the committed changes.
   */
  private reconcile(ruleId: string, ctx: ChangeContext | null): RuleChange[] {
    const paths = this.filesFor(ruleId);
    const current = this.live.get(ruleId);
    if (paths.length === 0) {
      if (!current) return [];
      this.live.delete(ruleId);
      const hadState = this.states.delete(ruleId);
      if (hadState) this.rearmExpiry();
      if (!ctx) return [];
      return [this.commit({ kind: "deleted", ruleId }, ctx, { before: definitionSnapshot(current), after: null })];
    }
    const valid = paths.map((p) => [p, this.files.get(p) as FileSnapshot] as const).filter(([, f]) => f.rule !== null);
    const only = valid.length === 1 ? valid[0] : undefined;
    if (!only) return [];
    const [p, file] = only;
    if (current && current.hash === file.hash) {
      current.path = p;
      return [];
    }
    const at = ctx ? this.clock() : file.mtimeMs;
    const next: LiveRule = {
      rule: file.rule as CompiledRule,
      text: file.text,
      hash: file.hash,
      path: p,
      revision: (current?.revision ?? 0) + 1,
      updatedAt: new Date(at).toISOString(),
      updatedBy: ctx?.actor ?? null,
    };
    this.live.set(ruleId, next);
    if (!ctx) return [];
    const stamped = withState(next.rule, this.states.get(ruleId) ?? defaultState());
    return [
      this.commit({ kind: "definition", ruleId, rule: stamped, revision: next.revision }, ctx, {
        before: current ? definitionSnapshot(current) : null,
        after: definitionSnapshot(next),
      }),
    ];
  }

  // ---------------------------------------------------------------- change feed

  /**
   * Assigns the next seq, appends the change-log entry and hands the change to subscribers, all
   * synchronously, so a snapshot taken between two awaits is consistent with its seq.
   */
  private commit(
    body:
      | { kind: "definition"; ruleId: string; rule: CompiledRule; revision: number }
      | { kind: "deleted"; ruleId: string }
      | { kind: "state"; ruleId: string; state: RuleState; autoRevert: boolean },
    ctx: ChangeContext,
    snapshots: { before: unknown; after: unknown },
  ): RuleChange {
    const seq = ++this.seq;
    const at = new Date(this.clock()).toISOString();
    const change = { ...body, seq, actor: ctx.actor, at } as RuleChange;
    this.changeLog.push({
      seq,
      ruleId: body.ruleId,
      kind: body.kind,
      actor: ctx.actor,
      at,
      reason: ctx.reason,
      autoRevert: body.kind === "state" ? body.autoRevert : false,
      before: snapshots.before,
      after: snapshots.after,
    });
    if (this.changeLog.length > this.historyLimit) this.changeLog.splice(0, this.changeLog.length - this.historyLimit);
    this.recentChanges.push(change);
    if (this.recentChanges.length > this.historyLimit) this.recentChanges.splice(0, this.recentChanges.length - this.historyLimit);
    this.hub.publish(change);
    return change;
  }

  private async publishAll(changes: RuleChange[]): Promise<void> {
    for (const c of changes) {
      await withSpan(SPAN.publish, { rule_id: c.ruleId }, () => publishChange(this.bus, c, this.log));
    }
  }

  private record(ruleId: string): RuleRecord {
    const l = this.live.get(ruleId) as LiveRule;
    const stored = this.states.get(ruleId) ?? defaultState();
    return {
      ruleId,
      ruleVersion: l.rule.ruleVersion,
      name: l.rule.name,
      yamlText: l.text,
      revision: l.revision,
      origin: "filesystem",
      sourcePath: l.path,
      updatedAt: l.updatedAt,
      updatedBy: l.updatedBy,
      state: { ...effectiveState(stored, this.clock()) },
      rule: withState(l.rule, stored),
    };
  }

  // ---------------------------------------------------------------- plumbing

  /** Runs `fn` after every earlier queued mutation (API writes and file events share one order). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.closed) throw new TtpError("INTERNAL", "the rule store is closed");
  }

  /** Stops watching, clears timers and ends every subscription; idempotent. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.expiry.close();
      for (const t of this.verifyTimers.values()) clearTimeout(t);
      this.verifyTimers.clear();
      this.hub.close();
      const w = this.watcher;
      this.watcher = null;
      this.closing = (async () => {
        await this.readyPromise.catch(() => undefined);
        const late = this.watcher as FSWatcher | null;
        if (w) await w.close();
        if (late) await late.close();
        await this.queue;
      })();
    }
    return this.closing;
  }
}
