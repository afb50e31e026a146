"use client";
import { useEffect, useId, useRef, useState } from "react";

export function RuleDeleteDialog(props: {
  open: boolean;
  ruleId: string;
  ruleName: string;
  dirty: boolean;
  requireReason: boolean;
  /** Resolves to an error message, or null once the rule is deleted. */
  onConfirm: (reason: string) => Promise<string | null>;
  onClose: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const ids = useId();
  const [reason, setReason] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [reasonError, setReasonError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) {
      setReason("");
      setError(null);
      setReasonError(null);
      d.showModal();
    } else if (!props.open && d.open) d.close();
  }, [props.open]);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (props.requireReason && !reason.trim()) {
      setReasonError("A reason is required.");
      return;
    }
    setBusy(true);
    setError(null);
    setReasonError(null);
    const message = await props.onConfirm(reason).catch((err: unknown) => `Deleting failed: ${err instanceof Error ? err.message : String(err)}`);
    setBusy(false);
    if (message !== null) setError(message);
  }

  return (
    <dialog ref={ref} className="rw-dialog" aria-labelledby={`${ids}-title`} onClose={() => props.onClose()}>
      {props.open && (
        <form onSubmit={submit} noValidate>
          <h2 id={`${ids}-title`}>
            Delete rule {props.ruleId} ({props.ruleName})?
          </h2>
          <p>
            This removes the definition and its operational state; workers stop applying it at once. The change log keeps the deleted text.
          </p>
          {props.dirty && <p className="form-error">Your unsaved changes in the editor will be lost.</p>}
          <div className="field">
            <label htmlFor={`${ids}-reason`}>Reason{props.requireReason ? " (required)" : ""}</label>
            <textarea
              id={`${ids}-reason`}
              rows={2}
              maxLength={1000}
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              aria-invalid={!!reasonError}
              aria-describedby={reasonError ? `${ids}-reason-err` : undefined}
            />
            {reasonError && (
              <span id={`${ids}-reason-err`} className="field-error">
                {reasonError}
              </span>
            )}
          </div>
          {error && (
            <p role="alert" className="form-error">
              {error}
            </p>
          )}
          <div className="actions">
            <button type="submit" className="primary rw-danger" disabled={busy}>
              {busy ? "Deleting…" : "Delete rule"}
            </button>
            <button type="button" disabled={busy} onClick={() => props.onClose()}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
