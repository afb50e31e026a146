"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import type { PackChange } from "../../lib/store/pack-import";
import { IMPORT_URL, MAX_UPLOAD_BYTES, planFromPreview, type ImportApplyData, type ImportErrorBody, type ImportPreviewData } from "../_lib/transfer";
import { queryKeys } from "./data/query-keys";
import styles from "./rule-transfer.module.css";

/** /rules/import-export: download every rule as a zip; admins upload a zip, preview it, then apply it. */
export function RuleTransfer(props: { isAdmin: boolean; ruleCount: number }) {
  return (
    <div className={styles.page}>
      <p>
        <Link href="/rules">← Rules</Link>
      </p>
      <h1>Import / export rule packs</h1>
      <section className="card" aria-labelledby="export-heading">
        <h2 id="export-heading">Export</h2>
        <p>
          Every rule&apos;s original YAML text, comments kept, as <code>&lt;rule_id&gt;.yaml</code> in one zip: the layout of a rules directory and of{" "}
          <code>ttp rules export</code>.
        </p>
        <a href="/api/rules/export" download className={styles.button}>
          Download all {props.ruleCount} rules (.zip)
        </a>
      </section>
      <section className="card" aria-labelledby="import-heading">
        <h2 id="import-heading">Import</h2>
        {props.isAdmin ? <ImportForm /> : <p className="muted">Importing a rule pack needs the admin role.</p>}
      </section>
    </div>
  );
}

function mib(n: number): string {
  return n < 1024 * 1024 ? `${Math.max(1, Math.round(n / 1024))} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

type ImportAnswer<T> = { ok: true; data: T } | { ok: false; message: string; fileError: string | null };

/** POSTs the form to the import route handler (same-origin, with the session cookie); throws only when the server cannot be reached. */
async function postImport<T>(step: "preview" | "apply", body: FormData): Promise<ImportAnswer<T>> {
  const res = await fetch(`${IMPORT_URL}?step=${step}`, { method: "POST", body, credentials: "same-origin", cache: "no-store" });
  let json: unknown = null;
  try {
    json = await res.json();
  } catch {
    json = null; // not JSON (a proxy's error page): reported below by status
  }
  if (res.ok && json !== null) return { ok: true, data: json as T };
  if (res.status === 401) return { ok: false, message: "Your session has ended; sign in again.", fileError: null };
  const err = json as Partial<ImportErrorBody> | null;
  const message = typeof err?.detail === "string" ? err.detail : `The server answered ${res.status} ${res.statusText}.`;
  return { ok: false, message, fileError: err?.field === "file" ? message : null };
}

/** A refused upload: the message for the form, and for the file field when the file is at fault. */
class ImportRefusal extends Error {
  constructor(
    message: string,
    readonly fileError: string | null,
  ) {
    super(message);
  }
}

/** One step of the import; a refusal or an unreachable server is thrown with the message to show. */
async function importStep<T>(step: "preview" | "apply", body: FormData, unreachable: string): Promise<T> {
  let r: ImportAnswer<T>;
  try {
    r = await postImport<T>(step, body);
  } catch {
    throw new ImportRefusal(unreachable, null);
  }
  if (!r.ok) throw new ImportRefusal(r.message, r.fileError);
  return r.data;
}

function ImportForm() {
  const ids = useId();
  const client = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [deleteMissing, setDeleteMissing] = useState(false);
  const [preview, setPreview] = useState<ImportPreviewData | null>(null);
  const [applied, setApplied] = useState<ImportApplyData | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const previewStep = useMutation({
    mutationFn: (fd: FormData) => importStep<ImportPreviewData>("preview", fd, `The upload did not reach the server (a rule pack may be at most ${mib(MAX_UPLOAD_BYTES)}).`),
    onSuccess: (data) => setPreview(data),
    onError: (err) => {
      setMessage(err.message);
      setFileError(err instanceof ImportRefusal ? err.fileError : null);
    },
  });
  const applyStep = useMutation({
    mutationFn: (fd: FormData) => importStep<ImportApplyData>("apply", fd, "The server could not be reached; check the rule list to see what was imported."),
    onSuccess: (data) => {
      setApplied(data);
      setPreview(null);
    },
    onError: (err) => setMessage(err.message),
    // Whatever was written (an apply can stop halfway): the rules read again wherever they are shown.
    onSettled: () => {
      void client.invalidateQueries({ queryKey: queryKeys.rules() });
      void client.invalidateQueries({ queryKey: ["rule"] });
      void client.invalidateQueries({ queryKey: ["history"] });
    },
  });
  const busy = previewStep.isPending ? "preview" : applyStep.isPending ? "apply" : null;

  function reset() {
    setPreview(null);
    setApplied(null);
    setMessage(null);
    setFileError(null);
  }

  function chooseFile(f: File | null) {
    reset();
    setFile(f);
    if (f && f.size > MAX_UPLOAD_BYTES) setFileError(`${f.name} is ${mib(f.size)}; a rule pack may be at most ${mib(MAX_UPLOAD_BYTES)}.`);
  }

  function formData(): FormData | null {
    if (!file) {
      setFileError("Choose a .zip file to import.");
      return null;
    }
    const fd = new FormData();
    fd.set("file", file);
    if (deleteMissing) fd.set("deleteMissing", "on");
    return fd;
  }

  function runPreview(e: React.FormEvent) {
    e.preventDefault();
    if (busy || fileError) return;
    const fd = formData();
    if (!fd) return;
    reset();
    previewStep.mutate(fd);
  }

  function runApply() {
    if (!preview || busy) return;
    const fd = formData();
    if (!fd) return;
    fd.set("token", preview.token);
    fd.set("plan", JSON.stringify(planFromPreview(preview)));
    setMessage(null);
    applyStep.mutate(fd);
  }

  const toDo = preview ? preview.add.length + preview.change.length + preview.delete.length : 0;

  return (
    <>
      <form onSubmit={runPreview} noValidate>
        <p className="muted">
          A zip of rule files (<code>&lt;rule_id&gt;.yaml</code>, folders allowed), at most {mib(MAX_UPLOAD_BYTES)}. Every file is validated before anything is
          written; the preview shows what would change.
        </p>
        <div className="field">
          <label htmlFor={`${ids}-file`}>Rule pack (.zip)</label>
          <input
            id={`${ids}-file`}
            type="file"
            accept=".zip,application/zip"
            onChange={(e) => chooseFile(e.target.files?.[0] ?? null)}
            aria-invalid={!!fileError}
            aria-describedby={fileError ? `${ids}-file-err` : undefined}
          />
          {fileError && (
            <span id={`${ids}-file-err`} className="field-error">
              {fileError}
            </span>
          )}
        </div>
        <div className={styles.check}>
          <input
            id={`${ids}-delete`}
            type="checkbox"
            checked={deleteMissing}
            onChange={(e) => {
              setDeleteMissing(e.target.checked);
              setPreview(null);
              setApplied(null);
            }}
          />
          <label htmlFor={`${ids}-delete`}>Delete rules that are not in the pack</label>
        </div>
        {message && (
          <p role="alert" className="form-error">
            {message}
          </p>
        )}
        <div className="actions">
          <button type="submit" disabled={busy !== null}>
            {busy === "preview" ? "Checking…" : "Preview import"}
          </button>
        </div>
      </form>

      {preview && <PreviewView preview={preview} />}
      {preview && preview.problems.length === 0 && (
        <div className={styles.applyBar}>
          {toDo === 0 ? (
            <p>Nothing to import: every rule in the pack is already stored with this text.</p>
          ) : (
            <button type="button" className="primary" disabled={busy !== null} onClick={runApply}>
              {busy === "apply" ? "Importing…" : "Apply import"}
            </button>
          )}
        </div>
      )}
      {applied && <AppliedView applied={applied} />}
    </>
  );
}

function PreviewView({ preview }: { preview: ImportPreviewData }) {
  const p = preview;
  return (
    <section className={styles.preview} aria-labelledby="preview-heading">
      <h2 id="preview-heading">Preview of {p.fileName}</h2>
      <p className="muted">
        {p.fileCount} rule file{p.fileCount === 1 ? "" : "s"}, {mib(p.size)}. Nothing has been written yet.
      </p>
      {p.problems.length > 0 ? (
        <div role="alert" className={styles.problems}>
          <strong>
            {p.problems.length} problem{p.problems.length === 1 ? "" : "s"}; nothing can be imported until the pack is fixed:
          </strong>
          <ul>
            {p.problems.map((line) => (
              <li key={line}>
                <code>{line}</code>
              </li>
            ))}
          </ul>
        </div>
      ) : (
        <>
          <IdList title="To add" items={p.add.map((a) => ({ ruleId: a.ruleId, note: a.file }))} />
          <ChangeList changes={p.change} />
          {p.deleteMissing && <IdList title="To delete" items={p.delete.map((d) => ({ ruleId: d.ruleId, note: `revision ${d.revision}` }))} danger />}
          <IdList title="Unchanged" items={p.unchanged.map((u) => ({ ruleId: u.ruleId, note: u.file }))} collapsed />
        </>
      )}
      {p.warnings.length > 0 && (
        <details>
          <summary>Warnings ({p.warnings.length})</summary>
          <ul>
            {p.warnings.map((w) => (
              <li key={w}>
                <code>{w}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
      {p.ignored.length > 0 && (
        <details>
          <summary>Ignored entries ({p.ignored.length}): not rule files</summary>
          <ul>
            {p.ignored.map((name) => (
              <li key={name}>
                <code>{name}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

function IdList(props: { title: string; items: { ruleId: string; note: string }[]; collapsed?: boolean; danger?: boolean }) {
  const headingId = useId();
  const list = (
    <ul className={styles.ids}>
      {props.items.map((i) => (
        <li key={i.ruleId}>
          <code>{i.ruleId}</code> <span className="muted">{i.note}</span>
        </li>
      ))}
    </ul>
  );
  return (
    <section aria-labelledby={headingId} className={props.danger && props.items.length > 0 ? styles.danger : undefined}>
      <h3 id={headingId}>
        {props.title} ({props.items.length})
      </h3>
      {props.items.length === 0 ? null : props.collapsed ? (
        <details>
          <summary>Show the {props.items.length} rules</summary>
          {list}
        </details>
      ) : (
        list
      )}
    </section>
  );
}

function ChangeList({ changes }: { changes: PackChange[] }) {
  const headingId = useId();
  return (
    <section aria-labelledby={headingId}>
      <h3 id={headingId}>To change ({changes.length})</h3>
      {changes.length > 0 && (
        <ul className={styles.ids}>
          {changes.map((c) => (
            <li key={c.ruleId}>
              <code>{c.ruleId}</code>{" "}
              <span className="muted">
                {c.file}: +{c.added} −{c.removed} line{c.added + c.removed === 1 ? "" : "s"}, from revision {c.revision}
              </span>
              {c.diff && (
                <details>
                  <summary>Diff of {c.ruleId}</summary>
                  <pre className={styles.diff}>
                    {c.diff.map((l, i) => (
                      <span key={i} className={l.type === "added" ? "diff-add" : l.type === "removed" ? "diff-del" : l.type === "skipped" ? "muted" : undefined}>
                        {l.type === "added" ? "+ " : l.type === "removed" ? "- " : l.type === "skipped" ? "" : "  "}
                        {l.text}
                        {"\n"}
                      </span>
                    ))}
                    {c.diffTruncated && <span className="muted">… (diff shortened)</span>}
                  </pre>
                </details>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function AppliedView({ applied }: { applied: ImportApplyData }) {
  const shown = applied.results.filter((r) => r.outcome !== "unchanged" || r.message !== null);
  return (
    <section className={styles.preview} aria-labelledby="applied-heading">
      <h2 id="applied-heading">Import result</h2>
      <p role="status">{applied.summary}</p>
      {shown.length > 0 && (
        <table className="plain" aria-label="Import result by rule">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Outcome</th>
              <th>Revision</th>
              <th>Note</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((r) => (
              <tr key={`${r.ruleId}-${r.outcome}`}>
                <td>
                  {r.outcome === "deleted" ? <code>{r.ruleId}</code> : <Link href={`/rules/${r.ruleId}`}>{r.ruleId}</Link>}
                </td>
                <td className={r.outcome === "conflict" || r.outcome === "failed" ? "form-error" : undefined}>{r.outcome}</td>
                <td>{r.revision ?? "—"}</td>
                <td>{r.message ?? ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
