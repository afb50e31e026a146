import { diffLines } from "diff";

export interface DiffRow {
  type: "context" | "added" | "removed";
  /** 1-based line in the old text (null for an added line). */
  oldLine: number | null;
  /** 1-based line in the new text (null for a removed line). */
  newLine: number | null;
  text: string;
}

export interface DiffHunk {
  /** Unchanged lines skipped before this hunk (0 for the first hunk at the top). */
  skippedBefore: number;
  rows: DiffRow[];
}

export interface TextDiff {
  identical: boolean;
  added: number;
  removed: number;
  hunks: DiffHunk[];
  /** Unchanged lines skipped after the last hunk. */
  skippedAfter: number;
  /** The line diff gave up (texts too different or too large); hunks then hold old removed and new added. */
  truncated: boolean;
}

export interface DiffOptions {
  /** Unchanged lines kept around each change (default 3). */
  context?: number;
  /** Milliseconds after which the line diff gives up (default 1000). */
  timeoutMs?: number;
}

/** Line diff of two rule texts, grouped into hunks with line numbers and collapsed unchanged runs. */
export function diffRuleText(oldText: string, newText: string, options: DiffOptions = {}): TextDiff {
  const context = options.context ?? 3;
  if (oldText === newText) return { identical: true, added: 0, removed: 0, hunks: [], skippedAfter: 0, truncated: false };
  const changes = diffLines(oldText, newText, { timeout: options.timeoutMs ?? 1000 });
  const rows: DiffRow[] = [];
  let truncated = false;
  let o = 1;
  let n = 1;
  if (changes === undefined) {
    truncated = true;
    for (const text of splitLines(oldText)) rows.push({ type: "removed", oldLine: o++, newLine: null, text });
    for (const text of splitLines(newText)) rows.push({ type: "added", oldLine: null, newLine: n++, text });
  } else {
    for (const c of changes) {
      for (const text of splitLines(c.value)) {
        if (c.added) rows.push({ type: "added", oldLine: null, newLine: n++, text });
        else if (c.removed) rows.push({ type: "removed", oldLine: o++, newLine: null, text });
        else rows.push({ type: "context", oldLine: o++, newLine: n++, text });
      }
    }
  }
  let added = 0;
  let removed = 0;
  for (const r of rows) {
    if (r.type === "added") added++;
    else if (r.type === "removed") removed++;
  }

  // Keep each change with `context` unchanged lines around it; merge hunks that touch.
  const keep = new Array<boolean>(rows.length).fill(false);
  rows.forEach((r, i) => {
    if (r.type === "context") return;
    for (let k = Math.max(0, i - context); k <= Math.min(rows.length - 1, i + context); k++) keep[k] = true;
  });
  const hunks: DiffHunk[] = [];
  let skipped = 0;
  let current: DiffHunk | null = null;
  rows.forEach((r, i) => {
    if (!keep[i]) {
      skipped++;
      current = null;
      return;
    }
    if (current === null) {
      current = { skippedBefore: skipped, rows: [] };
      hunks.push(current);
      skipped = 0;
    }
    current.rows.push(r);
  });
  return { identical: false, added, removed, hunks, skippedAfter: skipped, truncated };
}

/** Lines of a diff chunk without their terminators (a final newline does not make an empty line). */
function splitLines(value: string): string[] {
  if (value === "") return [];
  const lines = value.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((l) => l.replace(/\r$/, ""));
}
