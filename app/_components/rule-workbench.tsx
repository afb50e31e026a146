"use client";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { formatPath, type ValidationIssue } from "../../lib/errors";
import { deleteRuleAction, saveRuleAction, validateRuleDraftAction } from "../_actions/rule-editor";
import type { EditorFailure, EditorSchema, SavedRule, ServerRuleVersion } from "../_lib/rule-editor-types";
import { queryKeys } from "./data/query-keys";
import { ActionRefusal, refusalOf, unwrap } from "./data/rule-mutations";
import type { RulePageData } from "./data/rule-page";
import { useRulePage } from "./data/rule-page-query";
import { RuleConflictDialog, type ConflictState } from "./rule-conflict-dialog";
import { RuleDeleteDialog } from "./rule-delete-dialog";
import { RuleEditor, type RuleEditorHandle } from "./rule-editor";
import { RuleTestPanel } from "./rule-test-panel";
import "./rule-workbench.css";

/** Typing pause before the draft is checked: one check per burst of keystrokes (server actions run one at a time). */
const VALIDATE_DELAY_MS = 75;
/** A rate-limited or busy checker is asked again after this. */
const RECHECK_DELAY_MS = 2000;

function thrownMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isBusy(err: unknown): boolean {
  return err instanceof ActionRefusal && err.result.code === "BUSY";
}

/**
 * The rule page's editor with Save, Delete and the conflict dialog; on /rules/new-rule (ruleId null)
 * it creates. Holds the draft: what the operator typed is exactly what is saved.
 */
export function RuleWorkbench(props: {
  /** The rule edited; null on /rules/new-rule. */
  ruleId: string | null;
  ruleName: string;
  /** The first render's text; on a rule's page the rule query (kept current live) supersedes it. */
  serverYaml: string;
  /** Stored revision (0 on /rules/new-rule). */
  serverRevision: number;
  serverUpdatedBy: string | null;
  isAdmin: boolean;
  requireReason: boolean;
  schema: EditorSchema;
}) {
  const router = useRouter();
  const client = useQueryClient();
  const creating = props.ruleId === null;
  const stored = useRulePage(props.ruleId).data;
  // Once the rule is deleted (null) the editor keeps the last version it knew.
  const server = stored ? { yaml: stored.yamlText, revision: stored.revision, updatedBy: stored.updatedBy } : null;
  const [draft, setDraft] = useState(props.serverYaml);
  /** Bumped whenever the draft is replaced from outside the editor (see RuleEditor). */
  const [externalVersion, setExternalVersion] = useState(0);
  const [base, setBase] = useState({ yaml: props.serverYaml, revision: props.serverRevision });
  const [seen, setSeen] = useState({ yaml: props.serverYaml, revision: props.serverRevision });
  const [remoteRevision, setRemoteRevision] = useState<number | null>(null);
  /** Problems the server returned with a refused save, for the text that was saved. */
  const [saveIssues, setSaveIssues] = useState<{ text: string; issues: ValidationIssue[] } | null>(null);
  /** The draft as of the last typing pause: the text checked. */
  const [checkText, setCheckText] = useState<string | null>(null);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<ConflictState | null>(null);
  const [deleting, setDeleting] = useState(false);
  const editorHandle = useRef<RuleEditorHandle | null>(null);
  // The first check waits for the editor: its markers need it, and it keeps the server free while Monaco loads.
  const [editorReady, setEditorReady] = useState(false);
  const saving = useRef(false);
  const dirty = draft !== base.yaml;

  // A new server version (live update, restore): a clean editor shows it, a dirty one keeps the draft.
  if (server && (seen.yaml !== server.yaml || seen.revision !== server.revision)) {
    setSeen({ yaml: server.yaml, revision: server.revision });
    if (!dirty) {
      setDraft(server.yaml);
      setExternalVersion((v) => v + 1);
      setBase({ yaml: server.yaml, revision: server.revision });
      setRemoteRevision(null);
      if (server.revision !== base.revision) setStatus(`Revision ${server.revision} loaded (saved by ${server.updatedBy ?? "someone else"})`);
    } else if (server.revision !== base.revision) {
      setRemoteRevision(server.revision);
    }
  }
  const remoteNotice = remoteRevision !== null && remoteRevision !== base.revision && dirty;

  const latest = useRef({ draft, base });
  latest.current = { draft, base };

  useEffect(() => {
    if (!editorReady) return;
    const timer = setTimeout(() => setCheckText(draft), VALIDATE_DELAY_MS);
    return () => clearTimeout(timer);
  }, [draft, editorReady]);
  const check = useQuery({
    queryKey: queryKeys.draftCheck(props.ruleId, checkText ?? ""),
    queryFn: async () => unwrap(await validateRuleDraftAction(checkText ?? "", props.ruleId)).issues,
    enabled: checkText !== null,
    // Rate-limited or the checker is busy: check this text again once the window has passed.
    retry: (_n, err) => isBusy(err),
    retryDelay: RECHECK_DELAY_MS,
    placeholderData: keepPreviousData,
    gcTime: 0,
  });
  const checkFailure = check.error ?? check.failureReason;
  const checkError = checkFailure ? `Checking the draft failed: ${thrownMessage(checkFailure)}` : null;
  const checked = check.data !== undefined && !check.isPlaceholderData && checkText === draft;
  const issues = saveIssues && saveIssues.text === draft ? saveIssues.issues : (check.data ?? []);

  const saveMutation = useMutation({
    mutationFn: async (v: { text: string; expectedRevision: number | null }): Promise<SavedRule> =>
      unwrap(await saveRuleAction({ ruleId: props.ruleId, yamlText: v.text, expectedRevision: v.expectedRevision })),
    onSuccess: (saved) => {
      if (props.ruleId === null) return;
      const key = queryKeys.rule(props.ruleId);
      client.setQueryData<RulePageData | null>(key, (d) =>
        d ? { ...d, yamlText: saved.yamlText, revision: saved.revision, updatedBy: saved.updatedBy, updatedAt: saved.updatedAt } : d,
      );
      // Name, description and emits come from the server's parse of the text.
      void client.invalidateQueries({ queryKey: key });
      void client.invalidateQueries({ queryKey: queryKeys.history(props.ruleId) });
    },
  });
  const deleteMutation = useMutation({
    mutationFn: async (v: { ruleId: string; expectedRevision: number; reason: string }) => unwrap(await deleteRuleAction(v)),
  });
  const busy = saveMutation.isPending ? "save" : deleteMutation.isPending ? "delete" : null;

  // Leaving with unsaved changes asks first: reloads and closes (beforeunload), in-app links (confirm).
  useEffect(() => {
    if (!dirty) return;
    const what = props.ruleId ?? "the new rule";
    const onBeforeUnload = (e: BeforeUnloadEvent): void => {
      e.preventDefault();
      e.returnValue = "";
    };
    const onClick = (e: MouseEvent): void => {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      const a = e.target instanceof Element ? e.target.closest("a[href]") : null;
      if (!(a instanceof HTMLAnchorElement) || (a.target && a.target !== "_self") || a.hasAttribute("download")) return;
      const url = new URL(a.href, window.location.href);
      if (url.origin !== window.location.origin) return;
      if (url.pathname === window.location.pathname && url.search === window.location.search) return;
      if (!window.confirm(`You have unsaved changes to ${what}. Leave this page and discard them?`)) {
        e.preventDefault();
        e.stopPropagation();
      }
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    document.addEventListener("click", onClick, true);
    return () => {
      window.removeEventListener("beforeunload", onBeforeUnload);
      document.removeEventListener("click", onClick, true);
    };
  }, [dirty, props.ruleId]);

  async function save(overwriteRevision?: number): Promise<void> {
    if (!props.isAdmin || saving.current) return;
    // The editor's own text: Ctrl+S can arrive before React re-rendered with the last keystroke.
    const live = editorHandle.current?.value() ?? null;
    const text = live ?? latest.current.draft;
    if (live !== null && live !== latest.current.draft) setDraft(live);
    if (!creating && overwriteRevision === undefined && text === latest.current.base.yaml) {
      setError(null);
      setStatus(`No changes to save (revision ${latest.current.base.revision})`);
      return;
    }
    saving.current = true;
    setError(null);
    setStatus(null);
    let r: { ok: true; data: SavedRule } | EditorFailure;
    try {
      r = { ok: true, data: await saveMutation.mutateAsync({ text, expectedRevision: creating ? null : (overwriteRevision ?? latest.current.base.revision) }) };
    } catch (err) {
      r = err instanceof ActionRefusal ? err.result : { ok: false, code: "INTERNAL", message: `Saving failed (${thrownMessage(err)}); your draft is still here.` };
    } finally {
      saving.current = false;
    }
    if (r.ok) {
      setConflict(null);
      setRemoteRevision(null);
      setSaveIssues(null);
      setBase({ yaml: text, revision: r.data.revision });
      setStatus(r.data.created ? `Created ${r.data.ruleId}, revision ${r.data.revision}` : r.data.unchanged ? `No changes to save (revision ${r.data.revision})` : `Saved revision ${r.data.revision}`);
      if (r.data.created) router.push(`/rules/${encodeURIComponent(r.data.ruleId)}`);
      return;
    }
    if (r.issues) setSaveIssues({ text, issues: r.issues });
    if (r.code === "CONFLICT" && !creating && r.current !== undefined && props.ruleId !== null) {
      setConflict({ ruleId: props.ruleId, mine: text, current: r.current, message: r.message, error: null });
      return;
    }
    if (overwriteRevision !== undefined) {
      setConflict((c) => (c ? { ...c, error: r.message } : c));
      return;
    }
    setError(r.message);
  }
  const saveRef = useRef(save);
  saveRef.current = save;

  function reloadTheirs(theirs: ServerRuleVersion): void {
    setDraft(theirs.yamlText);
    setExternalVersion((v) => v + 1);
    setBase({ yaml: theirs.yamlText, revision: theirs.revision });
    setRemoteRevision(null);
    setConflict(null);
    setError(null);
    setStatus(`Loaded revision ${theirs.revision}${theirs.updatedBy ? ` by ${theirs.updatedBy}` : ""}`);
  }

  function loadServerVersion(): void {
    if (!server) return;
    reloadTheirs({ ruleId: props.ruleId ?? "", yamlText: server.yaml, revision: server.revision, updatedBy: server.updatedBy, updatedAt: "" });
  }

  async function confirmDelete(reason: string): Promise<string | null> {
    if (props.ruleId === null) return "Nothing to delete: this rule is not saved yet.";
    try {
      await deleteMutation.mutateAsync({ ruleId: props.ruleId, expectedRevision: latest.current.base.revision, reason });
    } catch (err) {
      return refusalOf(err, "Deleting").message;
    }
    // The draft goes with the rule: mark it clean so leaving does not ask.
    setBase({ yaml: latest.current.draft, revision: latest.current.base.revision });
    router.push("/rules");
    return null;
  }

  const errors = issues.filter((i) => i.severity === "error").length;
  const warnings = issues.length - errors;
  const counts = [errors ? `${errors} error${errors === 1 ? "" : "s"}` : "", warnings ? `${warnings} warning${warnings === 1 ? "" : "s"}` : ""];
  const summary = !checked ? "checking…" : issues.length === 0 ? "No problems" : counts.filter(Boolean).join(", ");

  return (
    <>
      <section
        className="rw"
        aria-label={creating ? "New rule editor" : "Rule editor"}
        onKeyDown={(e) => {
          if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "s") {
            e.preventDefault();
            void saveRef.current();
          }
        }}
      >
        <div className="rw-bar">
          <h2 id="yaml-heading">{creating ? "New rule" : "YAML"}</h2>
          {!creating && (
            <span className="muted">
              revision {base.revision}
              {!props.isAdmin && " · read-only (viewer)"}
            </span>
          )}
          {dirty && <span className="rw-dirty">● Unsaved changes</span>}
          <span className="rw-spacer" />
          {props.isAdmin && (
            <>
              <button type="button" className="primary" disabled={busy !== null || (!creating && !dirty)} onClick={() => void save()} aria-keyshortcuts="Control+S Meta+S">
                {busy === "save" ? "Saving…" : "Save"}
              </button>
              {!creating && (
                <>
                  <button type="button" className="rw-danger" disabled={busy !== null} onClick={() => setDeleting(true)}>
                    Delete
                  </button>
                  <Link href="/rules/new-rule" className="rw-link-button">
                    New rule
                  </Link>
                </>
              )}
            </>
          )}
        </div>
        <p role="status" className="rw-status">
          {status}
        </p>
        {error && (
          <p role="alert" className="form-error">
            {error}
          </p>
        )}
        {remoteNotice && (
          <p className="rw-notice">
            Someone else saved revision {remoteRevision} while you were editing; your draft is kept, and saving it will show the differences.{" "}
            <button type="button" onClick={loadServerVersion}>
              Discard my draft and load revision {remoteRevision}
            </button>
          </p>
        )}
        <RuleEditor
          path={`${props.ruleId ?? "new-rule"}.yaml`}
          value={draft}
          externalVersion={externalVersion}
          onChange={setDraft}
          readOnly={!props.isAdmin}
          issues={issues}
          schema={props.schema}
          onSave={() => void saveRef.current()}
          onReady={() => setEditorReady(true)}
          handleRef={editorHandle}
        />
        <p className="muted rw-help">
          {props.isAdmin ? "Ctrl+S (⌘S) saves · " : ""}Ctrl+Space completes fields and ATT&amp;CK ids · hover an id for its name · Ctrl+M: Tab moves focus
        </p>
        <div className="rw-problems">
          <h3>
            Problems <span className="muted">({summary})</span>
          </h3>
          {checkError && (
            <p role="alert" className="form-error">
              {checkError}
            </p>
          )}
          {issues.length > 0 && (
            <ul aria-label="Problems">
              {issues.map((i, n) => (
                <li key={n} className={i.severity === "error" ? "rw-issue-error" : "rw-issue-warning"}>
                  <button type="button" className="rw-issue" onClick={() => editorHandle.current?.reveal(i.line, i.column)}>
                    {i.severity === "error" ? "Error" : "Warning"} at line {i.line}:{i.column}
                  </button>{" "}
                  {i.message}
                  {i.path.length > 0 && <span className="muted"> ({formatPath(i.path)})</span>}
                </li>
              ))}
            </ul>
          )}
        </div>
        {props.isAdmin && !creating && props.ruleId !== null && (
          <RuleDeleteDialog
            open={deleting}
            ruleId={props.ruleId}
            ruleName={props.ruleName}
            dirty={dirty}
            requireReason={props.requireReason}
            onConfirm={confirmDelete}
            onClose={() => setDeleting(false)}
          />
        )}
        {props.isAdmin && (
          <RuleConflictDialog
            conflict={conflict}
            busy={busy === "save"}
            onReload={reloadTheirs}
            onOverwrite={(rev) => void save(rev)}
            onClose={() => setConflict(null)}
          />
        )}
      </section>
      <RuleTestPanel ruleId={props.ruleId} draftYaml={draft} />
    </>
  );
}
