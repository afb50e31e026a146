"use client";
import { diffLines } from "diff";
import { useEffect, useId, useMemo, useRef } from "react";
import type { ServerRuleVersion } from "../_lib/rule-editor-types";
import { LocalTime } from "./local-time";

export interface ConflictState {
  ruleId: string;
  /** The draft that was refused. */
  mine: string;
  /** What is stored now; null when the rule was deleted meanwhile. */
  current: ServerRuleVersion | null;
  message: string;
  /** A failed "Overwrite with mine" (not another conflict). */
  error: string | null;
}

type Row = { kind: "same" | "del" | "add"; text: string } | { kind: "skip"; count: number };

const CONTEXT = 3;

/** Line diff of their version against the draft, unchanged runs cut to 3 lines of context. */
export function diffRows(theirs: string, mine: string): Row[] {
  const rows: Row[] = [];
  const parts = diffLines(theirs, mine);
  parts.forEach((part, index) => {
    const lines = part.value.endsWith("\n") ? part.value.slice(0, -1).split("\n") : part.value.split("\n");
    if (part.added || part.removed) {
      for (const text of lines) rows.push({ kind: part.added ? "add" : "del", text });
      return;
    }
    const head = index === 0 ? 0 : CONTEXT;
    const tail = index === parts.length - 1 ? 0 : CONTEXT;
    if (lines.length <= head + tail + 1) {
      for (const text of lines) rows.push({ kind: "same", text });
      return;
    }
    for (const text of lines.slice(0, head)) rows.push({ kind: "same", text });
    rows.push({ kind: "skip", count: lines.length - head - tail });
    for (const text of lines.slice(lines.length - tail)) rows.push({ kind: "same", text });
  });
  return rows;
}

export function RuleConflictDialog(props: {
  conflict: ConflictState | null;
  busy: boolean;
  onReload: (theirs: ServerRuleVersion) => void;
  onOverwrite: (theirRevision: number) => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const ids = useId();
  const c = props.conflict;

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (c && !d.open) d.showModal();
    else if (!c && d.open) d.close();
  }, [c]);

  const rows = useMemo(() => (c ? diffRows(c.current?.yamlText ?? "", c.mine) : []), [c]);

  return (
    <dialog ref={ref} className="rw-dialog rw-conflict" aria-labelledby={`${ids}-title`} aria-describedby={`${ids}-desc`} onClose={() => props.onClose()}>
      {c && (
        <>
          <h2 id={`${ids}-title`}>Save conflict on {c.ruleId}</h2>
          <p id={`${ids}-desc`}>
            {c.message}{" "}
            {c.current ? (
              <>
                Their revision {c.current.revision} was saved <LocalTime iso={c.current.updatedAt} />. Compare, then keep one version.
              </>
            ) : (
              "Overwriting re-creates it from your draft."
            )}
          </p>
          <figure className="rw-diff-figure" aria-label="Differences: their version (−) and your draft (+)">
            <figcaption className="muted">
              <span className="rw-diff-key diff-del">− their version</span> <span className="rw-diff-key diff-add">+ your draft</span>
            </figcaption>
            <pre className="rw-diff">
              {rows.map((r, i) =>
                r.kind === "skip" ? (
                  <span key={i} className="rw-diff-skip">{`  … ${r.count} unchanged line${r.count === 1 ? "" : "s"}`}</span>
                ) : (
                  <span key={i} className={r.kind === "add" ? "diff-add" : r.kind === "del" ? "diff-del" : undefined}>
                    {`${r.kind === "add" ? "+" : r.kind === "del" ? "-" : " "} ${r.text}`}
                  </span>
                ),
              )}
            </pre>
          </figure>
          {c.error && (
            <p role="alert" className="form-error">
              {c.error}
            </p>
          )}
          <div className="actions">
            {c.current && (
              <button type="button" disabled={props.busy} onClick={() => c.current && props.onReload(c.current)}>
                Reload their version
              </button>
            )}
            <button type="button" className="primary" disabled={props.busy} onClick={() => props.onOverwrite(c.current?.revision ?? 0)}>
              {props.busy ? "Saving…" : "Overwrite with mine"}
            </button>
            <button type="button" disabled={props.busy} onClick={() => props.onClose()}>
              Keep editing
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
