"use client";
import { useEffect, useId, useRef, useState } from "react";
import { MAX_REASON_LENGTH } from "../../lib/state/semantics";
import type { ActionResult } from "../_server/action-result";
import type { StateFormInput } from "../_actions/rule-state";

export interface StateDialogTarget {
  ruleId: string;
  ruleName: string;
  mode: "disabled" | "clipped";
  confidenceMax: number | null;
  /** Set for a bulk change: the dialog speaks of "N rules" (ruleName lists them; ruleId is unused). */
  count?: number;
}

const PRESETS: { value: string; label: string; ms: number | null }[] = [
  { value: "15m", label: "15 minutes", ms: 15 * 60_000 },
  { value: "1h", label: "1 hour", ms: 3_600_000 },
  { value: "4h", label: "4 hours", ms: 4 * 3_600_000 },
  { value: "24h", label: "24 hours", ms: 86_400_000 },
  { value: "7d", label: "7 days", ms: 7 * 86_400_000 },
  { value: "never", label: "No expiry", ms: null },
];

/** `YYYY-MM-DDTHH:mm` in the browser's zone, as datetime-local inputs want it. */
function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

function utcLabel(local: string): string {
  const t = new Date(local).getTime();
  if (Number.isNaN(t)) return "";
  return `${new Date(t).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

export function StateDialog(props: {
  target: StateDialogTarget | null;
  requireReason: boolean;
  maxExpiryMs: number | null;
  onSubmit: (input: StateFormInput) => Promise<ActionResult<unknown>>;
  onClose: () => void;
}) {
  const { target } = props;
  const ref = useRef<HTMLDialogElement>(null);
  const ids = useId();
  const [expires, setExpires] = useState("1h");
  const [custom, setCustom] = useState("");
  const [ceiling, setCeiling] = useState("0.5");
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;

  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (target) {
      setExpires("1h");
      setCustom(toLocalInput(Date.now() + 3_600_000));
      setCeiling(target.confidenceMax !== null ? String(target.confidenceMax) : "0.5");
      setReason("");
      setMessage(null);
      setFieldErrors({});
      if (!d.open) d.showModal();
    } else if (d.open) d.close();
  }, [target]);

  const presets = PRESETS.filter((p) => props.maxExpiryMs === null || (p.ms !== null && p.ms <= props.maxExpiryMs));
  const verb = target?.mode === "clipped" ? "Clip" : "Disable";
  const bulk = target?.count !== undefined ? `${verb} ${target.count} ${target.count === 1 ? "rule" : "rules"}` : null;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    if (!target || busy) return;
    let exp = expires;
    if (expires === "custom") {
      const t = new Date(custom).getTime();
      if (!custom || Number.isNaN(t)) {
        setFieldErrors({ expires_at: "Pick a date and time." });
        return;
      }
      exp = new Date(t).toISOString();
    }
    setBusy(true);
    setMessage(null);
    setFieldErrors({});
    const input: StateFormInput = { ruleId: target.ruleId, state: target.mode, expires_at: exp === "never" ? null : exp, reason };
    if (target.mode === "clipped") input.confidence_max = ceiling.trim() === "" ? null : Number(ceiling);
    const result = await props.onSubmit(input);
    setBusy(false);
    if (result.ok) {
      props.onClose();
      return;
    }
    setMessage(result.message);
    setFieldErrors(result.fieldErrors ?? {});
  }

  const err = (k: string) =>
    fieldErrors[k] ? (
      <span id={`${ids}-${k}-err`} className="field-error">
        {fieldErrors[k]}
      </span>
    ) : null;

  return (
    <dialog ref={ref} className="state-dialog" aria-labelledby={`${ids}-title`} onClose={() => props.onClose()}>
      {target && (
        <form onSubmit={submit} noValidate>
          <h2 id={`${ids}-title`}>{bulk ?? `${verb} ${target.ruleId}`}</h2>
          <p className="muted">{target.ruleName}</p>
          {target.mode === "clipped" && (
            <div className="field">
              <label htmlFor={`${ids}-ceiling`}>Confidence ceiling</label>
              <input
                id={`${ids}-ceiling`}
                type="number"
                min={0}
                max={0.99}
                step={0.01}
                value={ceiling}
                onChange={(e) => setCeiling(e.target.value)}
                aria-invalid={!!fieldErrors.confidence_max}
                aria-describedby={fieldErrors.confidence_max ? `${ids}-confidence_max-err` : undefined}
              />
              {err("confidence_max")}
            </div>
          )}
          <div className="field">
            <label htmlFor={`${ids}-expires`}>Expires</label>
            <select
              id={`${ids}-expires`}
              value={expires}
              onChange={(e) => setExpires(e.target.value)}
              aria-invalid={!!fieldErrors.expires_at}
              aria-describedby={fieldErrors.expires_at ? `${ids}-expires_at-err` : undefined}
            >
              {presets.map((p) => (
                <option key={p.value} value={p.value}>
                  {p.value === "never" ? p.label : `in ${p.label}`}
                </option>
              ))}
              <option value="custom">At a date and time…</option>
            </select>
            {err("expires_at")}
          </div>
          {expires === "custom" && (
            <div className="field">
              <label htmlFor={`${ids}-custom`}>Expiry date and time ({zone})</label>
              <input id={`${ids}-custom`} type="datetime-local" value={custom} onChange={(e) => setCustom(e.target.value)} />
              <span className="muted">{utcLabel(custom)}</span>
            </div>
          )}
          <div className="field">
            <label htmlFor={`${ids}-reason`}>Reason{props.requireReason ? " (required)" : ""}</label>
            <textarea
              id={`${ids}-reason`}
              rows={2}
              value={reason}
              maxLength={MAX_REASON_LENGTH}
              onChange={(e) => setReason(e.target.value)}
              aria-invalid={!!fieldErrors.reason}
              aria-describedby={fieldErrors.reason ? `${ids}-reason-err` : undefined}
            />
            {err("reason")}
          </div>
          {message && (
            <p role="alert" className="form-error">
              {message}
            </p>
          )}
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? "Saving…" : (bulk ?? `${verb} rule`)}
            </button>
            <button type="button" onClick={() => props.onClose()}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
