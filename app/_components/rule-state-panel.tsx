"use client";
import { useRouter } from "next/navigation";
import { useState } from "react";
import type { RuleState } from "../../lib/state/semantics";
import { clearRuleStateAction, setRuleStateAction, type StateFormInput } from "../_actions/rule-state";
import { effectiveAt } from "../_lib/rule-row";
import { StateChip, timeLeft } from "./state-chip";
import { StateDialog, type StateDialogTarget } from "./state-dialog";
import { useNow } from "./use-live-changes";

/** The rule page's state: chip, countdown, who/why, and the Disable / Clip / Enable controls for admins. */
export function RuleStatePanel(props: { ruleId: string; ruleName: string; state: RuleState; isAdmin: boolean; requireReason: boolean; maxExpiryMs: number | null }) {
  const router = useRouter();
  const now = useNow(1000);
  const [dialog, setDialog] = useState<StateDialogTarget | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const st = effectiveAt(props.state, now);

  async function submit(input: StateFormInput) {
    const r = await setRuleStateAction(input);
    if (r.ok) router.refresh();
    return r;
  }
  async function enable() {
    setBusy(true);
    const r = await clearRuleStateAction(props.ruleId);
    setBusy(false);
    setError(r.ok ? null : r.message);
    if (r.ok) router.refresh();
  }

  return (
    <section className="card" aria-labelledby="state-heading">
      <h2 id="state-heading">Operational state</h2>
      <div className="kv">
        <span>State</span>
        <span>
          <StateChip state={st} />
        </span>
        <span>Expires</span>
        <span title={st.expires_at ?? undefined}>
          {st.expires_at ? `${timeLeft(st.expires_at, now)} (${new Date(st.expires_at).toLocaleString()}, ${st.expires_at.slice(0, 16).replace("T", " ")} UTC)` : "never"}
        </span>
        <span>Reason</span>
        <span>{st.reason ?? "—"}</span>
        <span>Set by</span>
        <span>{st.set_by ? `${st.set_by} at ${new Date(st.set_at ?? "").toLocaleString()}` : "—"}</span>
      </div>
      {props.isAdmin && (
        <div className="actions" style={{ marginTop: 12 }}>
          <button type="button" onClick={() => setDialog({ ruleId: props.ruleId, ruleName: props.ruleName, mode: "disabled", confidenceMax: null })}>
            Disable
          </button>
          <button type="button" onClick={() => setDialog({ ruleId: props.ruleId, ruleName: props.ruleName, mode: "clipped", confidenceMax: st.confidence_max })}>
            Clip
          </button>
          <button type="button" disabled={busy || st.state === "enabled"} onClick={() => void enable()}>
            Enable
          </button>
        </div>
      )}
      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}
      {props.isAdmin && <StateDialog target={dialog} requireReason={props.requireReason} maxExpiryMs={props.maxExpiryMs} onSubmit={submit} onClose={() => setDialog(null)} />}
    </section>
  );
}
