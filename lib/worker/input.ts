import type { Stats } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import type { Readable } from "node:stream";
import { silentLogger, type Logger } from "../logger";
import type { TextBlock } from "./evaluate-block";
import { errorMessage } from "./util";

/**
 * Tells an input to stop: `drain()` = finish what is already available (a followed file up to its
 * current end, a pipe until it has been idle for `drainIdleMs`) then end; `stop()` = end now.
 */
export class InputControl {
  draining = false;
  stopped = false;
  private readonly listeners = new Set<() => void>();

  drain(): void {
    if (this.draining) return;
    this.draining = true;
    this.notify();
  }

  stop(): void {
    if (this.stopped) return;
    this.draining = true;
    this.stopped = true;
    this.notify();
  }

  /** Resolves after `ms` or at the next drain()/stop(). */
  sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.listeners.add(done);
    });
  }

  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    for (const fn of [...this.listeners]) fn();
  }
}

export interface InputOptions {
  control: InputControl;
  /** Where block memory comes from (default: a fresh buffer per block); blocks start at offset 0 of it. */
  alloc?: (min: number) => Buffer;
  logger?: Logger;
  /** Read size for files (default 128 KiB): one block is about this much text. */
  blockBytes?: number;
  /** A line longer than this without a newline is cut and passed on as is (it will not parse). */
  maxLineBytes?: number;
}

/** Cuts a byte stream into blocks of complete lines (0x0A never occurs inside a UTF-8 sequence). */
class Blocker {
  private carry: Buffer | null = null;
  private spare: Buffer | null = null;
  private restart = false;
  constructor(
    private readonly maxLine: number,
    private readonly alloc: (min: number) => Buffer,
  ) {}

  /** Complete lines of `chunk` appended to what was left over, or null when none is complete yet. */
  push(chunk: Buffer): TextBlock | null {
    if (chunk.length === 0) return null;
    const last = chunk.lastIndexOf(10);
    if (last === -1) {
      this.carry = join(this.carry, chunk, chunk.length, (n) => Buffer.allocUnsafeSlow(n));
      if (this.carry.length > this.maxLine) return this.flush();
      return null;
    }
    const bytes = join(this.carry, chunk, last + 1, this.alloc);
    this.carry = last + 1 < chunk.length ? join(null, chunk.subarray(last + 1), chunk.length - last - 1, (n) => Buffer.allocUnsafeSlow(n)) : null;
    return this.emit(bytes);
  }

  /**
   * Memory for reading up to `n` more bytes straight into the next block: the carried start of a
   * line is copied to its beginning and the read goes after it (at `carried`).
   */
  target(n: number): Buffer {
    const c = this.carry?.length ?? 0;
    const spare = this.spare;
    this.spare = null;
    const out = spare !== null && spare.length >= c + n ? spare : this.alloc(c + n);
    if (this.carry) this.carry.copy(out, 0);
    return out;
  }

  /**
   * The complete lines once `n` bytes were read into `target` (from target()) after the carried
   * bytes, or null when none is complete yet; the rest is carried. A read of nothing keeps `target`
   * for the next one.
   */
  filled(target: Buffer, n: number): TextBlock | null {
    if (n === 0) {
      this.spare = target;
      return null;
    }
    const end = (this.carry?.length ?? 0) + n;
    const last = target.lastIndexOf(10, end - 1);
    if (last === -1) {
      this.carry = join(null, target, end, (m) => Buffer.allocUnsafeSlow(m));
      if (this.carry.length > this.maxLine) return this.flush();
      return null;
    }
    this.carry = last + 1 < end ? join(null, target.subarray(last + 1), end - last - 1, (m) => Buffer.allocUnsafeSlow(m)) : null;
    return this.emit(target.subarray(0, last + 1));
  }

  /** Bytes held back (the start of a line not yet complete). */
  get carried(): number {
    return this.carry?.length ?? 0;
  }

  /** The unterminated last line, if any. */
  flush(): TextBlock | null {
    const rest = this.carry;
    this.carry = null;
    return rest && rest.length > 0 ? this.emit(join(null, rest, rest.length, this.alloc)) : null;
  }

  /** Starts over (a truncated or rotated file): the next block says so, line numbers restart at 1. */
  reset(): void {
    this.carry = null;
    this.restart = true;
  }

  private emit(bytes: Buffer): TextBlock {
    if (!this.restart) return { bytes };
    this.restart = false;
    return { bytes, restart: true };
  }
}

/** `head` + the first `n` bytes of `chunk`, in a buffer from `alloc` that starts at offset 0 of memory it owns (it may be transferred to a thread). */
function join(head: Buffer | null, chunk: Buffer, n: number, alloc: (min: number) => Buffer): Buffer {
  const h = head?.length ?? 0;
  const out = alloc(h + n);
  if (head) head.copy(out, 0);
  chunk.copy(out, h, 0, n);
  return out.subarray(0, h + n);
}

/** JSON Lines from a stream (stdin); ends at end of stream, or on drain once the stream is idle. */
export async function* streamInput(stream: Readable, options: InputOptions & { drainIdleMs?: number }): AsyncGenerator<TextBlock> {
  const { control } = options;
  const idleMs = options.drainIdleMs ?? 100;
  const blocker = new Blocker(options.maxLineBytes ?? 8 * 1024 * 1024, options.alloc ?? ((n) => Buffer.allocUnsafeSlow(n)));
  let failure: Error | null = null;
  const onError = (err: Error): void => {
    failure = err;
  };
  stream.on("error", onError);
  try {
    for (;;) {
      const chunk = await nextChunk(stream, control, idleMs, () => failure);
      if (chunk === null) break;
      const block = blocker.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk);
      if (block) yield block;
    }
    if (failure) throw failure;
    const last = blocker.flush();
    if (last) yield last;
  } finally {
    stream.off("error", onError);
  }
}

function nextChunk(stream: Readable, control: InputControl, idleMs: number, failed: () => Error | null): Promise<Buffer | string | null> {
  const first = stream.read() as Buffer | string | null;
  if (first !== null) return Promise.resolve(first);
  if (control.stopped || stream.readableEnded || stream.destroyed || failed()) return Promise.resolve(null);
  return new Promise((resolve) => {
    let idle: ReturnType<typeof setTimeout> | null = null;
    const done = (v: Buffer | string | null): void => {
      stream.off("readable", onReadable);
      stream.off("end", onEnd);
      stream.off("close", onEnd);
      stream.off("error", onEnd);
      offControl();
      if (idle) clearTimeout(idle);
      resolve(v);
    };
    const onReadable = (): void => {
      const c = stream.read() as Buffer | string | null;
      if (c !== null) done(c);
    };
    const onEnd = (): void => done(null);
    const armIdle = (): void => {
      if (control.stopped) return done(null);
      if (control.draining && idle === null) idle = setTimeout(() => done(null), idleMs);
    };
    const offControl = control.onChange(armIdle);
    stream.on("readable", onReadable);
    stream.on("end", onEnd);
    stream.on("close", onEnd);
    stream.on("error", onEnd);
    armIdle();
  });
}

export interface FileInputOptions extends InputOptions {
  /** Keep reading as the file grows (tail -f), across truncation and rotation. */
  follow: boolean;
  /** Start at the current end of the file instead of its beginning. */
  fromEnd?: boolean;
  /** How often a followed file is checked for new data at its end (default 50 ms). */
  pollMs?: number;
  /** Resume here when the file at the path is still this one (same inode) and at least this long. */
  resumeAt?: FilePosition | null;
  /** Told, for every block, where the file stands once that block is handled (for a checkpoint). */
  onBlock?: (block: TextBlock, position: FilePosition) => void;
}

/** A position in a followed file: the byte offset after the last complete line handed on. */
export interface FilePosition {
  dev: number;
  ino: number;
  pos: number;
}

const sameFile = (a: Stats, b: Stats): boolean => a.ino === b.ino && a.dev === b.dev;

/**
 * JSON Lines from a file, read in large blocks. With `follow`, waits at the end for more; a
 * file that shrinks (truncated, copytruncate) is read again from its start, and when the path
 * names a new file (rotated by rename) the old one is finished and the new one read from its start.
 */
export async function* fileInput(file: string, options: FileInputOptions): AsyncGenerator<TextBlock> {
  const { control } = options;
  const log = options.logger ?? silentLogger;
  const pollMs = options.pollMs ?? 50;
  const readBytes = options.blockBytes ?? 128 * 1024;
  const blocker = new Blocker(options.maxLineBytes ?? 8 * 1024 * 1024, options.alloc ?? ((n) => Buffer.allocUnsafeSlow(n)));
  let fh: FileHandle = await open(file, "r");
  let current = await fh.stat();
  let pos = options.fromEnd ? current.size : 0;
  const resume = options.resumeAt;
  if (resume && resume.ino === current.ino && resume.dev === current.dev && resume.pos <= current.size) {
    pos = resume.pos;
    log.info("resuming the input file from its checkpoint", { file, position: pos });
  } else if (resume) {
    log.warn("the checkpoint names another file or a longer one (rotated or truncated); reading from the start", { file });
  }
  const mark = (block: TextBlock, at: number): TextBlock => {
    options.onBlock?.(block, { dev: current.dev, ino: current.ino, pos: at });
    return block;
  };
  // Reads go straight into block memory, and the next one is under way while a block is handled.
  const read = (): Promise<{ target: Buffer; n: number }> => {
    const target = blocker.target(readBytes);
    return fh.read(target, blocker.carried, readBytes, pos).then((r) => ({ target, n: r.bytesRead }));
  };
  let ahead: Promise<{ target: Buffer; n: number }> | null = null;
  try {
    for (;;) {
      if (control.stopped) break;
      const { target, n } = await (ahead ?? read());
      ahead = null;
      const block = blocker.filled(target, n);
      if (n > 0) {
        pos += n;
        if (!control.stopped) {
          ahead = read();
          // Awaited at the top of the loop, or in `finally` when the reader stops first.
          ahead.catch(() => undefined);
        }
        if (block) yield mark(block, pos - blocker.carried);
        continue;
      }
      if (!options.follow || control.draining) break;
      const atPath = await stat(file).catch(() => null);
      if (atPath && !sameFile(atPath, current)) {
        // Rotated: everything of the old file has been read; finish its last line, switch.
        let next: FileHandle;
        try {
          next = await open(file, "r");
        } catch (err) {
          log.debug("rotated input not openable yet", { file, error: errorMessage(err) });
          await control.sleep(pollMs);
          continue;
        }
        const tail = blocker.flush();
        if (tail) yield mark(tail, pos);
        await fh.close();
        fh = next;
        current = await fh.stat();
        pos = 0;
        blocker.reset();
        log.info("input file rotated; reading the new file from its start", { file });
        continue;
      }
      const size = (await fh.stat()).size;
      if (size < pos) {
        log.warn("input file truncated; reading it again from its start", { file, size, position: pos });
        pos = 0;
        blocker.reset();
        continue;
      }
      await control.sleep(pollMs);
    }
    const last = blocker.flush();
    if (last) yield mark(last, pos);
  } finally {
    if (ahead) await ahead.catch(() => undefined);
    await fh.close().catch((err: unknown) => log.debug("closing the input file failed", { file, error: errorMessage(err) }));
  }
}
