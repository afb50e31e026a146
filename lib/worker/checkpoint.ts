import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { Logger } from "../logger";
import type { TextBlock } from "./evaluate-block";
import type { FilePosition } from "./input";
import { errorMessage } from "./util";

/**
 * `--checkpoint <file>` of a followed JSON Lines file: the position after the last block whose
 * tags the sinks have durably written, saved atomically (temporary file + rename) at most every
 * `everyMs` and at exit, so a restart resumes there instead of re-reading the file.
 */
export class Checkpoint {
  private readonly pending = new WeakMap<TextBlock, { seq: number; at: FilePosition }>();
  private seq = 0;
  private saved = 0;
  private latest: { seq: number; at: FilePosition } | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly file: string,
    private readonly logger: Logger,
    private readonly everyMs = 250,
  ) {}

  /** The saved position, or null when there is none (or it is unreadable: logged, then read from the start). */
  load(): FilePosition | null {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch {
      return null;
    }
    try {
      const j = JSON.parse(text) as Partial<FilePosition>;
      if (typeof j.dev === "number" && typeof j.ino === "number" && typeof j.pos === "number" && j.pos >= 0) return { dev: j.dev, ino: j.ino, pos: j.pos };
    } catch (err) {
      this.logger.warn("checkpoint unreadable; reading the input from its start", { file: this.file, error: errorMessage(err) });
      return null;
    }
    this.logger.warn("checkpoint malformed; reading the input from its start", { file: this.file });
    return null;
  }

  track(block: TextBlock, at: FilePosition): void {
    this.pending.set(block, { seq: ++this.seq, at });
  }

  /** The block's tags are durably written: its end position may be saved. */
  settle(block: TextBlock): void {
    const p = this.pending.get(block);
    if (!p) return;
    this.pending.delete(block);
    if (this.latest && p.seq <= this.latest.seq) return;
    this.latest = p;
    if (!this.timer) {
      this.timer = setTimeout(() => this.save(), this.everyMs);
      this.timer.unref?.();
    }
  }

  close(): void {
    this.save();
  }

  private save(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const l = this.latest;
    if (!l || l.seq === this.saved) return;
    try {
      const tmp = `${this.file}.tmp`;
      writeFileSync(tmp, JSON.stringify({ ...l.at, saved_at: new Date().toISOString() }) + "\n");
      renameSync(tmp, this.file);
      this.saved = l.seq;
    } catch (err) {
      this.logger.warn("saving the checkpoint failed; retrying with the next block", { file: this.file, error: errorMessage(err) });
    }
  }
}
