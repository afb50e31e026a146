import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { BufferRecycler } from "./buffers";
import type { BlockResult, EvaluateOptions, TextBlock } from "./evaluate-block";
import type { RuleOp } from "./rule-ops";
import type { WorkerEngineOptions } from "./worker-engine";

export type ToThread =
  | { type: "op"; id: number; op: RuleOp }
  | { type: "block"; id: number; block: TextBlock }
  | { type: "recycle"; buffer: ArrayBuffer };
export type FromThread =
  | { type: "ack"; id: number }
  | { type: "result"; id: number; result: BlockResult; input: ArrayBuffer }
  | { type: "error"; id: number; message: string };

export interface ThreadData {
  evaluate: EvaluateOptions;
  /** Size of the thread's recycled output buffers. */
  outputBytes: number;
  /** How the thread builds its engine (same as the main one's). */
  engine: WorkerEngineOptions;
}

/** Output buffer size: the tags of one 128 KiB input block usually fit. */
export const OUTPUT_BYTES = 512 * 1024;

interface Slot {
  worker: Worker;
  outstanding: number;
}

function thisFile(): string {
  if (typeof __filename === "string") return __filename;
  return fileURLToPath(import.meta.url);
}

/** Starts eval-thread next to this file; a TypeScript source (run under tsx) is loaded through tsx's require hook. */
function spawnThread(options: ThreadData): Worker {
  const self = thisFile();
  const ext = path.extname(self);
  const entry = path.join(path.dirname(self), `eval-thread${ext}`);
  if (ext === ".ts") {
    const tsx = createRequire(self).resolve("tsx/cjs");
    return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`, { eval: true, workerData: options });
  }
  // The CLI bundle (dist/cli/): through bin/cli-bundle.cjs, which keeps V8's code cache of the
  // thread's bundle beside it (≈ 0.1 s of compiling per thread at start-up otherwise).
  const loader = path.join(path.dirname(self), "../../bin/cli-bundle.cjs");
  if (existsSync(loader)) return new Worker(`require(${JSON.stringify(loader)}).runMain(${JSON.stringify(entry)});`, { eval: true, workerData: options });
  return new Worker(entry, { workerData: options });
}

/**
 * Evaluation threads, each with its own engine mirroring the main one. Rule ops are broadcast
 * to every thread and blocks go to the least busy one; a thread handles its messages in order,
 * so a block sent after an op is evaluated with it applied. A thread failure is fatal
 * (`onFatal`): the process exits and its supervisor restarts it.
 */
export class EvalPool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private readonly acks = new Map<number, { remaining: number; resolve: () => void; reject: (e: Error) => void }>();
  private readonly results = new Map<number, { slot: Slot; resolve: (r: BlockResult) => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;
  private closed = false;
  private recycleTo = 0;
  /** Memory for input blocks: allocate them with `alloc`, they come back with each result. */
  readonly input: BufferRecycler;

  constructor(
    size: number,
    options: EvaluateOptions,
    private readonly onFatal: (err: Error) => void,
    inputBytes: number,
    engineOptions: WorkerEngineOptions = {},
  ) {
    this.input = new BufferRecycler(inputBytes, size * 4 + 4);
    for (let i = 0; i < size; i++) {
      const worker = spawnThread({ evaluate: options, outputBytes: OUTPUT_BYTES, engine: engineOptions });
      const slot: Slot = { worker, outstanding: 0 };
      worker.on("message", (m: FromThread) => this.onMessage(slot, m));
      worker.on("error", (err) => this.fail(new Error(`evaluation thread ${i} failed: ${err.message}`)));
      worker.on("exit", (code) => {
        if (!this.closed) this.fail(new Error(`evaluation thread ${i} exited with code ${code}`));
      });
      this.slots.push(slot);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** Sends a rule op to every thread; resolves once all of them have applied it, rejects when one could not (the pool has failed then). */
  broadcast(op: RuleOp): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<void>((resolve, reject) => {
      this.acks.set(id, { remaining: this.slots.length, resolve, reject });
      const msg: ToThread = { type: "op", id, op };
      for (const s of this.slots) s.worker.postMessage(msg);
    });
  }

  /** Evaluates a block on the least busy thread. */
  submit(block: TextBlock): Promise<BlockResult> {
    if (this.failed) return Promise.reject(this.failed);
    let slot = this.slots[0] as Slot;
    for (const s of this.slots) if (s.outstanding < slot.outstanding) slot = s;
    const id = this.nextId++;
    slot.outstanding++;
    return new Promise<BlockResult>((resolve, reject) => {
      this.results.set(id, { slot, resolve, reject });
      const msg: ToThread = { type: "block", id, block };
      // Input blocks own their memory (see input.ts): moved to the thread, not copied. A block is
      // usually shorter than its buffer (one of this.input's): a copy would clone the whole buffer.
      const b = block.bytes;
      const buf = b.buffer;
      const owned = buf instanceof ArrayBuffer && b.byteOffset === 0 && (b.byteLength === buf.byteLength || buf.byteLength === this.input.size);
      slot.worker.postMessage(msg, owned ? [buf] : []);
    });
  }

  /** Gives an output buffer (a result's `jsonl`, once written) back to a thread for reuse. */
  recycleOutput(bytes: Uint8Array): void {
    if (this.failed || this.closed || !(bytes.buffer instanceof ArrayBuffer) || bytes.buffer.byteLength !== OUTPUT_BYTES) return;
    const slot = this.slots[this.recycleTo++ % this.slots.length] as Slot;
    const msg: ToThread = { type: "recycle", buffer: bytes.buffer };
    slot.worker.postMessage(msg, [bytes.buffer]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private onMessage(slot: Slot, m: FromThread): void {
    if (m.type === "ack") {
      const pending = this.acks.get(m.id);
      if (!pending) return;
      if (--pending.remaining === 0) {
        this.acks.delete(m.id);
        pending.resolve();
      }
      return;
    }
    if (m.type === "error" && this.acks.has(m.id)) {
      this.fail(new Error(`an evaluation thread could not apply a rule change: ${m.message}`));
      return;
    }
    const pending = this.results.get(m.id);
    if (!pending) return;
    this.results.delete(m.id);
    slot.outstanding--;
    if (m.type === "result") {
      this.input.give(m.input);
      pending.resolve(m.result);
    }
    else pending.reject(new Error(`evaluating a block failed: ${m.message}`));
  }

  private fail(err: Error): void {
    if (this.failed || this.closed) return;
    this.failed = err;
    for (const p of this.results.values()) p.reject(err);
    this.results.clear();
    // A rule change some thread did not apply (or never will: the pool failed) settles as failed, never pending.
    for (const a of this.acks.values()) a.reject(err);
    this.acks.clear();
    this.onFatal(err);
  }
}
