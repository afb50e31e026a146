import { createHash } from "node:crypto";
import { z } from "zod";
import type { User } from "../../../../lib/auth/types";
import { formatIssue, isTtpError } from "../../../../lib/errors";
import { loadRulePackOffThread, type RulePack } from "../../../../lib/rules/rule-pack";
import { applyPackImport, previewPackImport } from "../../../../lib/store/pack-import";
import { importSummary, MAX_IMPORT_REQUEST_BYTES, MAX_UPLOAD_BYTES, type ImportApplyData, type ImportPreviewData } from "../../../_lib/transfer";
import { apiRoute } from "../../../_server/http";
import { getServices } from "../../../_server/services";
import { crossOriginRefusal, readBodyUpTo } from "../../../_server/upload";

export const dynamic = "force-dynamic";

const MAX_LISTED_ISSUES = 500;

/** `{"detail"}` like every API error; `field: "file"` when the upload itself is refused (shown beside the file field). */
function refuse(status: number, detail: string, field?: "file"): Response {
  return Response.json(field ? { detail, field } : { detail }, { status });
}

function mib(n: number): string {
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

interface Upload {
  bytes: Uint8Array;
  fileName: string;
  token: string;
  deleteMissing: boolean;
  form: FormData;
}

/** The multipart body within its limit and its zip, or the refusal to answer. */
async function readUpload(request: Request): Promise<Upload | Response> {
  const type = request.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(type)) return refuse(415, "Send the rule pack as multipart/form-data with the zip in a field named file");
  const body = await readBodyUpTo(request, MAX_IMPORT_REQUEST_BYTES);
  if (!body) return refuse(413, `The upload is larger than ${mib(MAX_IMPORT_REQUEST_BYTES)}; a rule pack may be at most ${mib(MAX_UPLOAD_BYTES)}.`, "file");
  let form: FormData;
  try {
    form = await new Response(body as Uint8Array<ArrayBuffer>, { headers: { "content-type": type } }).formData();
  } catch {
    return refuse(400, "The body is not valid multipart/form-data");
  }
  const file = form.get("file");
  if (!(file instanceof Blob) || file.size === 0) return refuse(400, "Choose a .zip file to import.", "file");
  // Control characters and length: the name is recorded in the audit log (source path, delete reason).
  const rawName = file instanceof File ? file.name : "";
  const fileName = [...rawName].filter((c) => c.charCodeAt(0) > 0x1f && c.charCodeAt(0) !== 0x7f).join("").slice(0, 200) || "upload.zip";
  if (file.size > MAX_UPLOAD_BYTES) return refuse(413, `${fileName} is ${mib(file.size)}; a rule pack may be at most ${mib(MAX_UPLOAD_BYTES)}.`, "file");
  const bytes = new Uint8Array(await file.arrayBuffer());
  // Local file header, or the end record of an empty archive.
  const zipMagic = bytes[0] === 0x50 && bytes[1] === 0x4b && ((bytes[2] === 3 && bytes[3] === 4) || (bytes[2] === 5 && bytes[3] === 6));
  if (!zipMagic) return refuse(400, `${fileName} is not a .zip file. Upload a zip of rule files (<rule_id>.yaml), such as an export from this page.`, "file");
  const flag = form.get("deleteMissing");
  const token = createHash("sha256").update(bytes).digest("hex");
  return { bytes, fileName, token, deleteMissing: flag === "on" || flag === "true", form };
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

async function preview(upload: Upload): Promise<Response> {
  const { bytes, fileName, token, deleteMissing } = upload;
  const pack = await loadRulePackOffThread(bytes);
  const { problems, warnings } = packProblems(pack);
  const base = { token, fileName, size: bytes.length, fileCount: pack.fileCount, problems, warnings, ignored: pack.ignored.slice(0, MAX_LISTED_ISSUES), deleteMissing };
  if (problems.length > 0) return Response.json({ ...base, add: [], change: [], unchanged: [], delete: [] } satisfies ImportPreviewData);
  const { store } = await getServices();
  return Response.json({ ...base, ...previewPackImport(pack.files, await store.listRules(), { deleteMissing }) } satisfies ImportPreviewData);
}

const Revisions = z.record(z.string().max(128), z.number().int().min(0));
const ImportPlan = z.object({ expected: Revisions, deletes: Revisions });

async function apply(upload: Upload, user: User): Promise<Response> {
  const { bytes, fileName, token, deleteMissing, form } = upload;
  if (form.get("token") !== token) return refuse(409, `${fileName} is not the file that was previewed; preview it again.`);
  let plan: z.infer<typeof ImportPlan>;
  try {
    plan = ImportPlan.parse(JSON.parse(String(form.get("plan") ?? "")));
  } catch {
    return refuse(400, "The import plan is missing or malformed; preview the file again.");
  }
  const pack = await loadRulePackOffThread(bytes);
  const { problems } = packProblems(pack);
  if (problems.length > 0) {
    return refuse(400, `${fileName} has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was written. Preview it to see them.`);
  }
  const { store, logger } = await getServices();
  const results = await applyPackImport(
    store,
    pack.files,
    { expected: new Map(Object.entries(plan.expected)), deletes: deleteMissing ? new Map(Object.entries(plan.deletes)) : new Map() },
    { actor: user.username, sourceName: fileName, deleteReason: `not in the imported pack ${fileName}` },
  );
  const rows = results.map((r) => {
    if (r.error !== undefined && !isTtpError(r.error)) {
      logger.error("Importing a rule failed", { rule_id: r.ruleId, error: r.error instanceof Error ? (r.error.stack ?? r.error.message) : String(r.error) });
    }
    const message = r.message ?? (r.outcome === "failed" ? "failed on the server; see the server log" : null);
    return { ruleId: r.ruleId, outcome: r.outcome, revision: r.revision, message };
  });
  return Response.json({ results: rows, summary: importSummary(rows, deleteMissing) } satisfies ImportApplyData);
}

/**
 * Rule-pack import (admin; session cookie from this origin, or an API token). `?step=preview`
 * validates every rule file of the uploaded zip and sorts the rules into add / change / unchanged
 * (/ delete with deleteMissing) without writing; `?step=apply` takes the same file again with the
 * preview's token and plan and writes each rule on its own (conflicts reported per rule).
 */
export async function POST(request: Request): Promise<Response> {
  const step = new URL(request.url).searchParams.get("step");
  const crossOrigin = crossOriginRefusal(request);
  if (crossOrigin) return refuse(403, crossOrigin);
  return apiRoute(request, "admin", "Importing a rule pack", async (user) => {
    if (step !== "preview" && step !== "apply") return refuse(400, "step must be preview or apply");
    const upload = await readUpload(request);
    if (upload instanceof Response) return upload;
    return step === "preview" ? preview(upload) : apply(upload, user);
  });
}
