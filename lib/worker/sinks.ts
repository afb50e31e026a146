import type { Writable } from "node:stream";
import type { Tag } from "../engine/types";
import { silentLogger, type Logger } from "../logger";
import type { WorkerDb } from "./worker-db";
import { backoffMs, errorMessage, isTransientDbError, nowIso, sleep } from "./util";

/** Tags as JSON Lines on a stream (stdout or a file), one write per block, respecting backpressure. */
export class JsonlSink {
  private failure: Error | null = null;
  private readonly onError = (err: Error): void => {
    this.failure ??= err;
  };

  constructor(
    private readonly stream: Writable,
    private readonly options: { end?: boolean } = {},
  ) {
    stream.on("error", this.onError);
  }

  /** Writes a chunk of complete lines; waits for 'drain' when the stream's buffer is full. `written` runs once the chunk is no longer needed. */
  async write(text: string | Uint8Array, written?: () => void): Promise<void> {
    if (this.failure) throw this.failure;
    if (text.length === 0) return;
    const ok = written ? this.stream.write(text, () => written()) : this.stream.write(text);
    if (ok) return;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        this.stream.off("drain", onDrain);
        this.stream.off("error", done);
        this.stream.off("close", onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(this.failure ?? new Error("tag output closed"));
      this.stream.on("drain", onDrain);
      this.stream.on("error", done);
      this.stream.on("close", onClose);
    });
  }

  /** Resolves once every chunk written so far has been handed to the operating system. */
  flushed(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.stream.write("", (err?: Error | null) => (err ? reject(err) : resolve())));
  }

  /** Flushes; ends the stream when it belongs to the sink (a file), leaves stdout open. */
  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    const s = this.stream;
    await new Promise<void>((resolve, reject) => {
      if (this.options.end) {
        s.end((err?: Error | null) => (err ? reject(err) : resolve()));
      } else if (s.writableNeedDrain) {
        s.once("drain", () => resolve());
        s.once("error", reject);
      } else {
        resolve();
      }
    });
    s.off("error", this.onError);
  }
}

export interface DbTagSinkOptions {
  workerId: string;
  logger?: Logger;
  /**
   * Tags per insert transaction at most (default 40,000). Large on purpose: a transaction's cost is
   * mostly the random B-tree pages it dirties, each written whole to SQLite's WAL, so rows per page
   * decide (bench tag-store; NATS drain with 2 workers 28.8k → 46k–55k command events/s from 8,000 to
   * 40,000). A partial batch still goes after `flushMs`, so this only matters under a backlog.
   */
  batchSize?: number;
  /** Above this many pending tags, write() waits (backpressure to the input) (default 160,000). */
  maxBuffered?: number;
  /**
   * A partial batch nobody waits for (see durable()) is written after this long (default 10 ms),
   * or after as long as the last transaction took when that was longer, up to `maxFlushMs`.
   */
  flushMs?: number;
  /** Upper bound of that wait: while the database is the bottleneck, batches grow up to it or to `batchSize` (default 200 ms). */
  maxFlushMs?: number;
  /**
   * durable() writes at once, unless a transaction ended less than this long ago: then when this
   * much time has passed since, with whatever else arrived meanwhile (default 5 ms).
   */
  commitGapMs?: number;
  onBacklog?: (pending: number) => void;
  onDbStatus?: (up: boolean) => void;
}

/** How long the db sink retries a busy SQLite write lock without blocking before it waits in SQLite's busy handler. */
const LOCK_WAIT_MS = 2000;

/**
 * Tags into `ttp_tag` (insert-or-ignore by uuid). Buffers while the database is unreachable and
 * retries with capped backoff; when the buffer is full the input waits instead of tags being dropped.
 */
export class DbTagSink {
  private buffer: Tag[] = [];
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly flushMs: number;
  private readonly maxFlushMs: number;
  private readonly commitGapMs: number;
  /** Duration of the last committed transaction (ms): stretches the wait for a partial batch under load. */
  private lastCommitMs = 0;
  /** performance.now() when the last transaction ended. */
  private lastCommitEnd = -Infinity;
  private timerDue = 0;
  private readonly log: Logger;
  private writer: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly spaceWaiters: (() => void)[] = [];
  private readonly stopping = new AbortController();
  private fatal: Error | null = null;
  /** Tags ever accepted / ever committed: durable() waits for committed ≥ its mark. */
  private accepted = 0;
  private committed = 0;
  private readonly barriers: { mark: number; resolve: () => void; reject: (err: Error) => void }[] = [];

  constructor(
    private readonly db: WorkerDb,
    private readonly options: DbTagSinkOptions,
  ) {
    this.batchSize = options.batchSize ?? 40_000;
    this.maxBuffered = options.maxBuffered ?? 160_000;
    this.flushMs = options.flushMs ?? 10;
    this.maxFlushMs = Math.max(this.flushMs, options.maxFlushMs ?? 200);
    this.commitGapMs = options.commitGapMs ?? 5;
    this.log = options.logger ?? silentLogger;
  }

  get pending(): number {
    return this.buffer.length;
  }

  async write(tags: readonly Tag[]): Promise<void> {
    if (this.fatal) throw this.fatal;
    if (tags.length === 0) return;
    for (const t of tags) this.buffer.push(t);
    this.accepted += tags.length;
    this.options.onBacklog?.(this.buffer.length);
    if (this.buffer.length >= this.batchSize) this.kick();
    else this.schedule(this.flushDelay());
    while (this.buffer.length > this.maxBuffered && !this.fatal) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    if (this.fatal) throw this.fatal;
  }

  /**
   * Resolves once every tag accepted so far is committed (the NATS input acknowledges its
   * messages then). Writes without waiting for `flushMs` (the caller hands over everything its
   * input had ready), at most one transaction per `commitGapMs`: tags arriving meanwhile go into
   * the next one (group commit). Waits through outages; rejects only when the sink failed for good
   * or closed with tags unwritten.
   */
  durable(): Promise<void> {
    if (this.fatal) return Promise.reject(this.fatal);
    if (this.committed >= this.accepted) return Promise.resolve();
    const mark = this.accepted;
    return new Promise<void>((resolve, reject) => {
      this.barriers.push({ mark, resolve, reject });
      this.schedule(this.gapDelay());
    });
  }

  /**
   * Writes everything buffered; keeps retrying an unreachable database until `deadlineMs`
   * (epoch ms). Returns how many tags could not be written.
   */
  async close(deadlineMs: number): Promise<number> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const giveUp = setTimeout(() => this.stopping.abort(), Math.max(0, deadlineMs - Date.now()));
    try {
      while (this.buffer.length > 0 && !this.stopping.signal.aborted && !this.fatal) {
        this.kick();
        await this.writer;
      }
      await this.writer;
    } finally {
      clearTimeout(giveUp);
    }
    if (this.buffer.length > 0 || this.fatal) this.failBarriers(this.fatal ?? new Error(`tag sink closed with ${this.buffer.length} tags unwritten`));
    return this.buffer.length;
  }

  /** How long a partial batch nobody waits for stays buffered: longer while transactions are slow. */
  private flushDelay(): number {
    return Math.min(this.maxFlushMs, Math.max(this.flushMs, this.lastCommitMs));
  }

  /** How long until a waited-for write may start (`commitGapMs` after the last transaction ended). */
  private gapDelay(): number {
    return this.lastCommitEnd + this.commitGapMs - performance.now();
  }

  /** Writes in `delayMs` (at once when ≤ 0), or earlier when already due earlier; a running writer takes care of what it leaves. */
  private schedule(delayMs: number): void {
    if (this.writer) return;
    if (delayMs <= 0) {
      this.kick();
      return;
    }
    const due = performance.now() + delayMs;
    if (this.timer) {
      if (this.timerDue <= due) return;
      clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.kick();
    }, delayMs);
  }

  private kick(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.writer) return;
    this.writer = this.drainBuffer().finally(() => {
      this.writer = null;
      if (this.buffer.length === 0 || this.stopping.signal.aborted || this.fatal) return;
      // What arrived during the last transaction: a waiting durable() must not sit out the flush timer.
      this.schedule(this.barriers.length > 0 ? this.gapDelay() : this.flushDelay());
    });
  }

  private async drainBuffer(): Promise<void> {
    let failures = 0;
    let lockedSince: number | null = null;
    while (this.buffer.length > 0 && !this.fatal) {
      const batch = this.buffer.slice(0, this.batchSize);
      try {
        // Another worker holds SQLite's write lock: retry in a moment instead of blocking this event
        // loop in the busy handler (input and evaluation go on; the next transaction is larger).
        // After LOCK_WAIT_MS of that, wait for the lock in the busy handler so progress is certain.
        const noWait = lockedSince === null || Date.now() - lockedSince < LOCK_WAIT_MS;
        const started = performance.now();
        const written = await this.db.insertTags(batch, this.options.workerId, nowIso(), { noWait });
        if (written === null) {
          lockedSince ??= Date.now();
          if (this.stopping.signal.aborted) return;
          await sleep(1, this.stopping.signal);
          continue;
        }
        lockedSince = null;
        this.lastCommitEnd = performance.now();
        this.lastCommitMs = this.lastCommitEnd - started;
        this.buffer.splice(0, batch.length);
        this.committed += batch.length;
        this.releaseBarriers();
        if (failures > 0) this.log.info("tag sink: database reachable again", { pending: this.buffer.length });
        failures = 0;
        this.options.onDbStatus?.(true);
        this.options.onBacklog?.(this.buffer.length);
        this.wakeWriters();
      } catch (err) {
        if (!isTransientDbError(err)) {
          this.fatal = new Error(`tag sink: the database refused tags: ${errorMessage(err)}`, { cause: err });
          this.log.error("tag sink: the database refused tags", { error: errorMessage(err) });
          this.failBarriers(this.fatal);
          this.wakeWriters();
          return;
        }
        failures++;
        this.options.onDbStatus?.(false);
        const delay = backoffMs(failures);
        if (failures === 1 || failures % 10 === 0) {
          this.log.warn("tag sink: database unreachable; keeping tags and retrying", { pending: this.buffer.length, attempt: failures, delay_ms: delay, error: errorMessage(err) });
        }
        if (this.stopping.signal.aborted) return;
        await sleep(delay, this.stopping.signal);
      }
    }
  }

  private releaseBarriers(): void {
    while (this.barriers.length > 0 && (this.barriers[0] as { mark: number }).mark <= this.committed) this.barriers.shift()?.resolve();
  }

  private failBarriers(err: Error): void {
    for (const b of this.barriers.splice(0)) b.reject(err);
  }

  private wakeWriters(): void {
    if (this.buffer.length > this.maxBuffered && !this.fatal) return;
    const waiters = this.spaceWaiters.splice(0);
    for (const w of waiters) w();
  }
}
