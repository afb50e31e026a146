import { ConflictError, isTtpError, NotFoundError } from "../errors";
import { diffRuleText } from "../rules/rule-diff";
import type { RuleFile } from "../rules/rule-files";
import type { RuleStore } from "./types";

/** What the preview needs of a stored rule. */
export interface StoredRuleText {
  ruleId: string;
  revision: number;
  yamlText: string;
}

export interface PackDiffLine {
  type: "context" | "added" | "removed" | "skipped";
  text: string;
}

export interface PackChange {
  ruleId: string;
  file: string;
  /** Revision seen now; the import expects it still (optimistic concurrency). */
  revision: number;
  added: number;
  removed: number;
  /** A short line diff (stored → pack), or null past the preview's diff budget. */
  diff: PackDiffLine[] | null;
  /** The diff was cut short (long change) or the line diff gave up (texts too different). */
  diffTruncated: boolean;
}

export interface PackImportPreview {
  add: { ruleId: string; file: string }[];
  change: PackChange[];
  unchanged: { ruleId: string; file: string; revision: number }[];
  /** Stored rules missing from the pack; empty unless `deleteMissing`. */
  delete: { ruleId: string; revision: number }[];
}

export interface PreviewOptions {
  deleteMissing: boolean;
  /** Changed rules that get a diff (the rest only counts); default 200. */
  maxDiffs?: number;
  /** Lines per diff; default 60. */
  maxDiffLines?: number;
}

const byId = <T extends { ruleId: string }>(a: T, b: T): number => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0);

/** Sorts a validated pack against the stored rules: add, change (with a line diff), unchanged, delete. Pure. */
export function previewPackImport(files: ReadonlyMap<string, RuleFile>, stored: readonly StoredRuleText[], options: PreviewOptions): PackImportPreview {
  const maxDiffs = options.maxDiffs ?? 200;
  const maxLines = options.maxDiffLines ?? 60;
  const current = new Map(stored.map((r) => [r.ruleId, r]));
  const preview: PackImportPreview = { add: [], change: [], unchanged: [], delete: [] };
  for (const [ruleId, file] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const cur = current.get(ruleId);
    if (!cur) preview.add.push({ ruleId, file: file.path });
    else if (cur.yamlText === file.text) preview.unchanged.push({ ruleId, file: file.path, revision: cur.revision });
    else {
      // A small timeout: 10,000 changed rules must not take 10,000 × the default second.
      const d = diffRuleText(cur.yamlText, file.text, { context: 2, timeoutMs: 50 });
      const withDiff = preview.change.length < maxDiffs;
      const lines: PackDiffLine[] = [];
      if (withDiff) {
        for (const h of d.hunks) {
          if (h.skippedBefore > 0) lines.push({ type: "skipped", text: `… ${h.skippedBefore} unchanged line${h.skippedBefore === 1 ? "" : "s"}` });
          for (const r of h.rows) lines.push({ type: r.type, text: r.text });
        }
        if (d.skippedAfter > 0) lines.push({ type: "skipped", text: `… ${d.skippedAfter} unchanged line${d.skippedAfter === 1 ? "" : "s"}` });
      }
      preview.change.push({
        ruleId,
        file: file.path,
        revision: cur.revision,
        added: d.added,
        removed: d.removed,
        diff: withDiff ? lines.slice(0, maxLines) : null,
        diffTruncated: d.truncated || lines.length > maxLines,
      });
    }
  }
  if (options.deleteMissing) {
    for (const r of stored) if (!files.has(r.ruleId)) preview.delete.push({ ruleId: r.ruleId, revision: r.revision });
    preview.delete.sort(byId);
  }
  return preview;
}

/** What the operator confirmed at preview: the revision of every rule seen then. */
export interface PackImportPlan {
  /** Each pack rule's revision at preview; 0 for a rule that did not exist. */
  expected: ReadonlyMap<string, number>;
  /** Rules to delete with their revision at preview; empty unless the operator asked for deletes. */
  deletes: ReadonlyMap<string, number>;
}

export type PackImportOutcome = "added" | "changed" | "unchanged" | "deleted" | "conflict" | "failed" | "skipped";

export interface PackImportResult {
  ruleId: string;
  outcome: PackImportOutcome;
  /** The rule's revision after the step (null when deleted or when nothing is known). */
  revision: number | null;
  /** Why, for conflict / failed / skipped / an unchanged delete. */
  message: string | null;
  /** The thrown error of a failed step (for the caller to log; not for display). */
  error?: unknown;
}

export interface ApplyOptions {
  actor: string;
  /** Recorded as the source path prefix of imported rules, e.g. the upload's file name. */
  sourceName?: string;
  /** Recorded on each delete. */
  deleteReason?: string;
}

function stopsTheBatch(err: unknown): boolean {
  return !isTtpError(err) || err.code === "BUSY" || err.code === "INTERNAL";
}

/**
 * Applies a validated pack as previewed: upserts (origin "import") each rule whose text differs,
 * with the revision seen at preview as expectedRevision, so a rule edited since fails with a
 * conflict instead of being overwritten; then deletes the confirmed rules the same way. One store
 * write (one change) per rule; never throws: each rule reports its outcome, and after a
 * store-level failure the rest are skipped.
 */
export async function applyPackImport(store: RuleStore, files: ReadonlyMap<string, RuleFile>, plan: PackImportPlan, options: ApplyOptions): Promise<PackImportResult[]> {
  const results: PackImportResult[] = [];
  let current: Map<string, { revision: number; yamlText: string }>;
  try {
    current = new Map((await store.listRules()).map((r) => [r.ruleId, { revision: r.revision, yamlText: r.yamlText }]));
  } catch (err) {
    for (const ruleId of [...files.keys(), ...plan.deletes.keys()].sort()) results.push({ ruleId, outcome: "skipped", revision: null, message: "the store could not be read", error: err });
    return results;
  }
  let stopped: unknown = null;
  const step = async (ruleId: string, run: () => Promise<PackImportResult>): Promise<void> => {
    if (stopped !== null) {
      results.push({ ruleId, outcome: "skipped", revision: null, message: "not attempted (stopped after a server error)" });
      return;
    }
    try {
      results.push(await run());
    } catch (err) {
      if (err instanceof ConflictError) {
        results.push({ ruleId, outcome: "conflict", revision: err.currentRevision, message: err.message });
        return;
      }
      results.push({ ruleId, outcome: "failed", revision: null, message: isTtpError(err) ? err.message.split("\n")[0] ?? err.message : null, error: err });
      if (stopsTheBatch(err)) stopped = err;
    }
  };

  for (const [ruleId, file] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    await step(ruleId, async () => {
      const expected = plan.expected.get(ruleId);
      if (expected === undefined) return { ruleId, outcome: "conflict", revision: null, message: "not in the preview; preview the pack again" };
      const cur = current.get(ruleId);
      if (cur && cur.yamlText === file.text) return { ruleId, outcome: "unchanged", revision: cur.revision, message: null };
      const rec = await store.upsertRule(file.text, {
        actor: options.actor,
        origin: "import",
        expectedRevision: expected,
        sourcePath: options.sourceName ? `${options.sourceName}:${file.path}` : file.path,
      });
      return { ruleId, outcome: expected === 0 ? "added" : "changed", revision: rec.revision, message: null };
    });
  }
  for (const [ruleId, revision] of [...plan.deletes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (files.has(ruleId)) continue;
    await step(ruleId, async () => {
      try {
        await store.deleteRule(ruleId, { actor: options.actor, expectedRevision: revision, ...(options.deleteReason ? { reason: options.deleteReason } : {}) });
      } catch (err) {
        if (err instanceof NotFoundError) return { ruleId, outcome: "unchanged", revision: null, message: "already deleted" };
        throw err;
      }
      return { ruleId, outcome: "deleted", revision: null, message: null };
    });
  }
  return results;
}
