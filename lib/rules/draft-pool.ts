import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { BusyError, TtpError, type ValidationIssue } from "../errors";
import type { RuleState } from "../state/semantics";
import type { DraftJob, DraftJobResult, FromDraftThread, ToDraftThread, ValidateDraftResult } from "./draft-messages";
import type { TestDraftResult } from "../engine/test-draft";

export type { DraftJob, DraftJobResult, ValidateDraftResult } from "./draft-messages";

export interface DraftPoolOptions {
  /** Threads (default 1: on a 2-core host one core stays with the event loop). */
  threads?: number;
  /** Wall time one job may run on its thread before the thread is terminated and replaced (default 2000 ms). */
  timeoutMs?: number;
  /** Jobs waiting for a thread; one more is refused with BusyError (default 32). */
  maxQueued?: number;
  /** Heap of each thread (default 256 MiB): a memory bomb ends that thread only. */
  maxHeapMb?: number;
}

interface Pending {
  id: number;
  job: DraftJob;
  getState: ((ruleId: string) => RuleState | Promise<RuleState>) | null;
  /** Called when the job is stopped (time or memory limit) rather than answered. */
  onStopped: (() => void) | undefined;
  resolve: (r: DraftJobResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  job: Pending | null;
}

/** This module's TypeScript source when it runs as such (tsx, vitest), else null (bundled). */
function sourceFile(): string | null {
  // Turbopack inlines a placeholder path ("/ROOT/lib/…") for __filename and import.meta.url: only a file that exists counts.
  const self = typeof __filename === "string" ? __filename : fileURLToPath(import.meta.url);
  return self.endsWith(".ts") && existsSync(self) ? self : null;
}

/**
 * A draft thread. Under tsx or vitest (this file is TypeScript) the TypeScript entry is loaded
 * through tsx's require hook, as eval-pool does; in the Next.js production build the bundler
 * compiles `new Worker(new URL(…, import.meta.url))` into a chunk of its own and rewrites the URL.
 */
function spawnThread(maxHeapMb: number): Worker {
  const resourceLimits = { maxOldGenerationSizeMb: maxHeapMb, maxYoungGenerationSizeMb: 32 };
  const self = sourceFile();
  if (self !== null) {
    const entry = path.join(path.dirname(self), "draft-thread.ts");
    const tsx = createRequire(self).resolve("tsx/cjs");
    return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`, { eval: true, resourceLimits });
  }
  return new Worker(new URL("./draft-thread.ts", import.meta.url), { resourceLimits });
}

function documentIssue(source: string, message: string): ValidationIssue {
  return { source, path: [], line: 1, column: 1, message, severity: "error" };
}

/**
 * Validates and test-runs rule drafts on worker threads, so a hostile draft costs a thread's time
 * and never the caller's event loop. One job per thread at a time; a job over `timeoutMs` gets its
 * thread terminated and replaced and resolves with a "took too long" issue; more than `maxQueued`
 * waiting jobs → BusyError. Results are plain data (structured clone).
 */
export class DraftPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private readonly threads: number;
  private readonly timeoutMs: number;
  private readonly maxQueued: number;
  private readonly maxHeapMb: number;
  private nextId = 1;
  private closed = false;
  /** Threads replaced after a timeout or a crash (for tests and metrics). */
  replaced = 0;

  constructor(options: DraftPoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(options.threads ?? 1));
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.maxQueued = Math.max(0, Math.floor(options.maxQueued ?? 32));
    this.maxHeapMb = options.maxHeapMb ?? 256;
  }

  /**
   * parseRule of `yamlText` on a thread (tests: examples included). Rejects with BusyError when the
   * queue is full; `onStopped` runs when the job is stopped at a limit (e.g. to penalise its sender).
   */
  async validate(yamlText: string, source: string, options: { onStopped?: () => void } = {}): Promise<ValidateDraftResult> {
    return (await this.submit({ type: "validate", yamlText, source }, null, options.onStopped)) as ValidateDraftResult;
  }

  /** testDraft on a thread; `getState` is called on this side with the draft's rule_id. Rejects with BusyError when the queue is full. */
  async test(
    input: { draftYaml: string; eventsText: string; useExamples: boolean; nowMs?: number },
    getState: (ruleId: string) => RuleState | Promise<RuleState>,
    options: { onStopped?: () => void } = {},
  ): Promise<TestDraftResult> {
    return (await this.submit({ type: "test", ...input }, getState, options.onStopped)) as TestDraftResult;
  }

  /** Jobs waiting for a thread plus jobs running. */
  get load(): { queued: number; running: number } {
    return { queued: this.queue.length, running: this.slots.filter((s) => s.job !== null).length };
  }

  /** Terminates the threads; queued and running jobs reject with BusyError. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = new BusyError("The draft checker is shutting down.");
    for (const p of this.queue.splice(0)) p.reject(err);
    const workers = this.slots.splice(0).map((s) => {
      if (s.job) this.finish(s.job, () => s.job?.reject(err));
      return s.worker.terminate();
    });
    await Promise.all(workers);
  }

  private submit(job: DraftJob, getState: Pending["getState"], onStopped?: () => void): Promise<DraftJobResult> {
    if (this.closed) return Promise.reject(new BusyError("The draft checker is shutting down."));
    if (this.queue.length >= this.maxQueued) {
      return Promise.reject(new BusyError(`The draft checker is busy (${this.queue.length} drafts waiting); try again in a moment.`));
    }
    return new Promise<DraftJobResult>((resolve, reject) => {
      this.queue.push({ id: this.nextId++, job, getState, onStopped, resolve, reject, timer: null });
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed) return;
    while (this.slots.length < this.threads && this.queue.length > this.slots.filter((s) => !s.ready || s.job === null).length) {
      this.addSlot();
    }
    for (const slot of this.slots) {
      if (!slot.ready || slot.job !== null) continue;
      const next = this.queue.shift();
      if (!next) return;
      this.start(slot, next);
    }
  }

  private addSlot(): Slot {
    const slot: Slot = { worker: spawnThread(this.maxHeapMb), ready: false, job: null };
    this.slots.push(slot);
    slot.worker.on("message", (m: FromDraftThread) => this.onMessage(slot, m));
    slot.worker.on("error", (err) => this.onThreadEnd(slot, err.message));
    slot.worker.on("exit", (code) => this.onThreadEnd(slot, `exited with code ${code}`));
    return slot;
  }

  private start(slot: Slot, p: Pending): void {
    slot.job = p;
    p.timer = setTimeout(() => this.onTimeout(slot, p), this.timeoutMs);
    p.timer.unref();
    const msg: ToDraftThread = { type: "job", id: p.id, job: p.job };
    slot.worker.postMessage(msg);
  }

  private finish(p: Pending, settle: () => void): void {
    if (p.timer) clearTimeout(p.timer);
    p.timer = null;
    settle();
  }

  private onMessage(slot: Slot, m: FromDraftThread): void {
    if (m.type === "ready") {
      slot.ready = true;
      this.pump();
      return;
    }
    const p = slot.job;
    if (!p || p.id !== m.id) return;
    if (m.type === "get-state") {
      void this.answerState(slot, p, m.ruleId);
      return;
    }
    slot.job = null;
    if (m.type === "done") this.finish(p, () => p.resolve(m.result));
    else this.finish(p, () => p.reject(new TtpError("INTERNAL", `checking the draft failed: ${m.message}`)));
    this.pump();
  }

  private async answerState(slot: Slot, p: Pending, ruleId: string): Promise<void> {
    let reply: ToDraftThread;
    try {
      if (!p.getState) throw new Error("no state source for this job");
      reply = { type: "state", id: p.id, state: await p.getState(ruleId), error: null };
    } catch (err) {
      reply = { type: "state", id: p.id, state: null, error: err instanceof Error ? err.message : String(err) };
    }
    if (slot.job === p) slot.worker.postMessage(reply);
  }

  private onTimeout(slot: Slot, p: Pending): void {
    if (slot.job !== p) return;
    const secs = `${(this.timeoutMs / 1000).toLocaleString("en-US")} s`;
    this.replace(slot, p, `took longer than ${secs} and was stopped: the draft is too large or too complex (fewer or shorter patterns, fewer or shorter tests: examples)`);
  }

  private onThreadEnd(slot: Slot, why: string): void {
    if (!this.slots.includes(slot)) return;
    const p = slot.job;
    if (p) {
      const oom = /memory|ERR_WORKER_OUT_OF_MEMORY/i.test(why);
      this.replace(slot, p, oom ? "needed too much memory and was stopped: the draft is too large or too complex" : `failed (${why})`);
      return;
    }
    this.slots.splice(this.slots.indexOf(slot), 1);
    if (!slot.ready) {
      // A thread that cannot even start will not start on retry either: fail what waits, start fresh on the next job.
      const err = new TtpError("INTERNAL", `the draft checker thread could not start: ${why}`);
      for (const q of this.queue.splice(0)) q.reject(err);
      return;
    }
    this.pump();
  }

  /** Ends the job with an issue, terminates its thread and starts another. */
  private replace(slot: Slot, p: Pending, what: string): void {
    this.slots.splice(this.slots.indexOf(slot), 1);
    slot.job = null;
    this.replaced++;
    void slot.worker.terminate();
    const result: DraftJobResult =
      p.job.type === "validate"
        ? { issues: [documentIssue(p.job.source, `validation ${what}`)], ruleId: null }
        : { status: "refused", field: null, message: `The test run ${what}.` };
    this.finish(p, () => p.resolve(result));
    p.onStopped?.();
    this.pump();
  }
}
