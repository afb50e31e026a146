/** Progress of long CLI work on stderr (stdout, e.g. --json output, is never touched). */
export interface Progress {
  /** `done` of the total so far (the total may be unknown: null at creation). */
  update(done: number): void;
  /** Ends the display (a terminal line is cleared; the caller prints its own summary). */
  finish(): void;
}

export interface ProgressOptions {
  stream?: NodeJS.WriteStream;
  /** Redraws of a terminal line at most this often (default 100 ms). */
  redrawMs?: number;
  /** Not a terminal: a plain line at most this often, the first after this long (default 2 s), so short jobs print nothing. */
  lineMs?: number;
  now?: () => number;
}

/**
 * A one-line progress display: on a terminal a bar redrawn in place (`\r`, erase to end of line),
 * otherwise a plain `label: done/total (n%)` line every couple of seconds of a long job. Own code
 * rather than a package: one line, one counter, no colours, nothing to configure.
 */
export function startProgress(label: string, total: number | null, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const tty = stream.isTTY === true;
  const every = tty ? (options.redrawMs ?? 100) : (options.lineMs ?? 2000);
  const started = now();
  let last = started;
  let shown = false;
  let current = 0;
  const text = (done: number): string => {
    const secs = ((now() - started) / 1000).toFixed(1);
    if (total === null || total <= 0) return `${label}: ${done > 0 ? `${done} ` : ""}${secs} s`;
    const pct = Math.min(100, Math.floor((done / total) * 100));
    if (!tty) return `${label}: ${done}/${total} (${pct}%)`;
    const width = 24;
    const full = Math.round((pct / 100) * width);
    return `${label} [${"#".repeat(full)}${"-".repeat(width - full)}] ${pct}% ${done}/${total} ${secs} s`;
  };
  const draw = (): void => {
    if (tty) stream.write(`\r${text(current)}\x1b[K`);
    else stream.write(`${text(current)}\n`);
    shown = true;
  };
  return {
    update(done: number): void {
      current = done;
      const t = now();
      if (t - last < every) return;
      last = t;
      draw();
    },
    finish(): void {
      if (tty && shown) stream.write("\r\x1b[K");
    },
  };
}
