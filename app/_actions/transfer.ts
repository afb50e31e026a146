"use server";
import { createHash } from "node:crypto";
import { z } from "zod";
import { formatIssue, isTtpError } from "../../lib/errors";
import { loadRulePack, type RulePack } from "../../lib/rules/rule-pack";
import { applyPackImport, previewPackImport } from "../../lib/store/pack-import";
import { importSummary, MAX_UPLOAD_BYTES, type ImportApplyData, type ImportPreviewData } from "../_lib/transfer";
import { authorize, fail, toActionError, type ActionResult } from "../_server/action-result";
import { getServices } from "../_server/services";

const MAX_LISTED_ISSUES = 500;

interface Upload {
  bytes: Uint8Array;
  fileName: string;
  token: string;
  deleteMissing: boolean;
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** The uploaded zip, or a refusal shown beside the file field. */
async function readUpload(formData: FormData): Promise<{ ok: true; upload: Upload } | { ok: false; result: ActionResult<never> }> {
  const file = formData.get("file");
  const refuse = (message: string) => ({ ok: false as const, result: fail("VALIDATION", message, { file: message }) });
  if (!(file instanceof File) || file.size === 0) return refuse("Choose a .zip file to import.");
  // Control characters and length: the name is recorded in the audit log (source path, delete reason).
  const fileName = [...file.name].filter((c) => c.charCodeAt(0) > 0x1f && c.charCodeAt(0) !== 0x7f).join("").slice(0, 200) || "upload.zip";
  if (file.size > MAX_UPLOAD_BYTES) return refuse(`${fileName} is ${mib(file.size)}; a rule pack may be at most ${mib(MAX_UPLOAD_BYTES)}.`);
  const bytes = new Uint8Array(await file.arrayBuffer());
  // Local file header, or the end record of an empty archive.
  const zipMagic = bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
  if (!zipMagic) return refuse(`${fileName} is not a .zip file. Upload a zip of rule files (<rule_id>.yaml), such as an export from this page.`);
  const token = createHash("sha256").update(bytes).digest("hex");
  const flag = formData.get("deleteMissing");
  return { ok: true, upload: { bytes, fileName, token, deleteMissing: flag === "on" || flag === "true" } };
}

function listed(lines: string[]): string[] {
  return lines.length > MAX_LISTED_ISSUES ? [...lines.slice(0, MAX_LISTED_ISSUES), `… and ${lines.length - MAX_LISTED_ISSUES} more`] : lines;
}

function packProblems(pack: RulePack): { problems: string[]; warnings: string[] } {
  return {
    problems: listed(pack.issues.filter((i) => i.severity === "error").map(formatIssue)),
    warnings: listed(pack.issues.filter((i) => i.severity === "warning").map(formatIssue)),
  };
}

/**
 * Validates every rule file of an uploaded zip with the stores' parser and sorts the rules into
 * add / change / unchanged (/ delete, when the form's deleteMissing is on). Writes nothing.
 */
export async function previewImportAction(formData: FormData): Promise<ActionResult<ImportPreviewData>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const read = await readUpload(formData);
  if (!read.ok) return read.result;
  const { bytes, fileName, token, deleteMissing } = read.upload;
  try {
    const pack = loadRulePack(bytes);
    const { problems, warnings } = packProblems(pack);
    const base = { token, fileName, size: bytes.length, fileCount: pack.fileCount, problems, warnings, ignored: pack.ignored.slice(0, MAX_LISTED_ISSUES), deleteMissing };
    if (problems.length > 0) return { ok: true, data: { ...base, add: [], change: [], unchanged: [], delete: [] } };
    const { store } = await getServices();
    const preview = previewPackImport(pack.files, await store.listRules(), { deleteMissing });
    return { ok: true, data: { ...base, ...preview } };
  } catch (err) {
    return toActionError(err, `Previewing ${fileName}`);
  }
}

const Revisions = z.record(z.string().max(128), z.number().int().min(0));
const ImportPlan = z.object({ expected: Revisions, deletes: Revisions });

/**
 * Applies the previewed upload: the same file is sent again (its SHA-256 must match the preview's
 * token) with the revisions seen at preview; it is validated again and nothing is written if it
 * has any problem. Each rule is then upserted or deleted on its own and reported.
 */
export async function applyImportAction(formData: FormData): Promise<ActionResult<ImportApplyData>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const read = await readUpload(formData);
  if (!read.ok) return read.result;
  const { bytes, fileName, token, deleteMissing } = read.upload;
  if (formData.get("token") !== token) return fail("CONFLICT", `${fileName} is not the file that was previewed; preview it again.`);
  let plan: z.infer<typeof ImportPlan>;
  try {
    plan = ImportPlan.parse(JSON.parse(String(formData.get("plan") ?? "")));
  } catch {
    return fail("VALIDATION", "The import plan is missing or malformed; preview the file again.");
  }
  const { store, logger } = await getServices();
  try {
    const pack = loadRulePack(bytes);
    const { problems } = packProblems(pack);
    if (problems.length > 0) {
      return fail("VALIDATION", `${fileName} has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was written. Preview it to see them.`);
    }
    const results = await applyPackImport(
      store,
      pack.files,
      { expected: new Map(Object.entries(plan.expected)), deletes: deleteMissing ? new Map(Object.entries(plan.deletes)) : new Map() },
      { actor: who.user.username, sourceName: fileName, deleteReason: `not in the imported pack ${fileName}` },
    );
    const rows = results.map((r) => {
      if (r.error !== undefined && !isTtpError(r.error)) {
        logger.error("Importing a rule failed", { rule_id: r.ruleId, error: r.error instanceof Error ? (r.error.stack ?? r.error.message) : String(r.error) });
      }
      const message = r.message ?? (r.outcome === "failed" ? "failed on the server; see the server log" : null);
      return { ruleId: r.ruleId, outcome: r.outcome, revision: r.revision, message };
    });
    return { ok: true, data: { results: rows, summary: importSummary(rows, deleteMissing) } };
  } catch (err) {
    return toActionError(err, `Importing ${fileName}`);
  }
}
