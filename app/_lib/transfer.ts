import type { PackChange, PackImportOutcome } from "../../lib/store/pack-import";

/** Largest zip the import takes (the form checks before sending; POST /api/rules/import checks again). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
/** Largest request body POST /api/rules/import reads: the zip plus the multipart framing and the plan. */
export const MAX_IMPORT_REQUEST_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024;
/** The rule-pack import route handler: `?step=preview`, then `?step=apply`. */
export const IMPORT_URL = "/api/rules/import";

/** An error answer of the import route; `field: "file"` when it is about the uploaded file. */
export interface ImportErrorBody {
  detail: string;
  field?: "file";
}

/** What the preview step found; nothing has been written. */
export interface ImportPreviewData {
  /** SHA-256 of the upload: apply must be sent the same bytes. */
  token: string;
  fileName: string;
  size: number;
  /** Rule files in the archive (valid or not). */
  fileCount: number;
  /** `file:line:column: message` — any of these means nothing can be imported. */
  problems: string[];
  warnings: string[];
  /** Entries that are not rule files (folders, README, __MACOSX/, dotfiles). */
  ignored: string[];
  add: { ruleId: string; file: string }[];
  change: PackChange[];
  unchanged: { ruleId: string; file: string; revision: number }[];
  delete: { ruleId: string; revision: number }[];
  deleteMissing: boolean;
}

/** The revisions seen at preview, sent back with the file to apply exactly what was shown. */
export interface ImportPlanJson {
  expected: Record<string, number>;
  deletes: Record<string, number>;
}

export function planFromPreview(p: ImportPreviewData): ImportPlanJson {
  const expected: Record<string, number> = {};
  for (const a of p.add) expected[a.ruleId] = 0;
  for (const c of p.change) expected[c.ruleId] = c.revision;
  for (const u of p.unchanged) expected[u.ruleId] = u.revision;
  const deletes: Record<string, number> = {};
  for (const d of p.delete) deletes[d.ruleId] = d.revision;
  return { expected, deletes };
}

export interface ImportResultRow {
  ruleId: string;
  outcome: PackImportOutcome;
  revision: number | null;
  message: string | null;
}

export interface ImportApplyData {
  results: ImportResultRow[];
  /** e.g. "1 added, 1 changed, 0 deleted, 62 unchanged" */
  summary: string;
}

const ORDER: PackImportOutcome[] = ["added", "changed", "deleted", "unchanged", "conflict", "failed", "skipped"];

/** Counts per outcome in a fixed order; conflicts and failures name their first rules. */
export function importSummary(results: readonly ImportResultRow[], deleteMissing: boolean): string {
  const counts = new Map<PackImportOutcome, ImportResultRow[]>();
  for (const r of results) counts.set(r.outcome, [...(counts.get(r.outcome) ?? []), r]);
  const parts: string[] = [];
  for (const o of ORDER) {
    const rows = counts.get(o) ?? [];
    const always = o === "added" || o === "changed" || o === "unchanged" || (o === "deleted" && deleteMissing);
    if (rows.length === 0 && !always) continue;
    const label = o === "conflict" ? (rows.length === 1 ? "conflict" : "conflicts") : o === "skipped" ? "not attempted" : o;
    const named = o === "conflict" || o === "failed" ? `: ${rows.slice(0, 3).map((r) => r.ruleId).join(", ")}${rows.length > 3 ? ", …" : ""}` : "";
    parts.push(`${rows.length} ${label}${named}`);
  }
  return parts.join(", ");
}
