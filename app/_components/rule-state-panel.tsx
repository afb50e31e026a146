"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { resolveExpires } from "../../lib/state/durations";
import type { RuleState } from "../../lib/state/semantics";
import { clearRuleStateAction, setRuleStateAction, type StateActionData, type StateFormInput } from "../_actions/rule-state";
import { effectiveAt } from "../_lib/rule-row";
import { useNow } from "./data/live";
import { queryKeys } from "./data/query-keys";
import { refusalOf, unwrap } from "./data/rule-mutations";
import type { RulePageData } from "./data/rule-page";
import { useRulePage } from "./data/rule-page-query";
import { StateChip, timeLeft } from "./state-chip";
import { StateDialog, type StateDialogTarget } from "./state-dialog";

type StateChange = { kind: "set"; input: StateFormInput } | { kind: "clear" };

/** What the server will most likely store, shown until it answers. */
function expectedState(change: StateChange, username: string, nowMs: number): RuleState {
  const setAt = new Date(nowMs).toISOString();
  if (change.kind === "clear") return { state: "enabled", confidence_max: null, expires_at: null, reason: null, set_by: username, set_at: setAt };
  const { state, confidence_max, expires_at, reason } = change.input;
  const expires = expires_at ? resolveExpires(expires_at, nowMs) : null;
  return {
    state,
    confidence_max: state === "clipped" ? (confidence_max ?? null) : null,
    expires_at: expires?.ok ? expires.expiresAt : null,
    reason: reason?.trim() ? reason.trim() : null,
    set_by: username,
    set_at: setAt,
  };
}

/**
 * The rule page's state: chip, countdown, who/why, and the Disable / Clip / Enable controls for
 * admins. A change shows at once and is rolled back when the server refuses it.
 */
export function RuleStatePanel(props: { ruleId: string; ruleName: string; username: string; isAdmin: boolean; requireReason: boolean; maxExpiryMs: number | null }) {
  const client = useQueryClient();
  const key = queryKeys.rule(props.ruleId);
  const { data: rule } = useRulePage(props.ruleId);
  const now = useNow(1000);
  const [dialog, setDialog] = useState<StateDialogTarget | null>(null);
  const change = useMutation({
    mutationFn: async (c: StateChange): Promise<StateActionData> =>
      unwrap(c.kind === "set" ? await setRuleStateAction(c.input) : await clearRuleStateAction(props.ruleId)),
    onMutate: async (c) => {
      await client.cancelQueries({ queryKey: key });
      const before = client.getQueryData<RulePageData | null>(key)?.state ?? null;
      const optimistic = expectedState(c, props.username, Date.now());
      client.setQueryData<RulePageData | null>(key, (d) => (d ? { ...d, state: optimistic } : d));
      return { before, optimistic };
    },
    onError: (_err, _c, ctx) => {
      // Back to what was shown before, unless a live change replaced the optimistic state meanwhile; then ask the server.
      if (ctx?.before) client.setQueryData<RulePageData | null>(key, (d) => (d && d.state === ctx.optimistic ? { ...d, state: ctx.before as RuleState } : d));
      void client.invalidateQueries({ queryKey: key });
    },
    onSuccess: (data) => client.setQueryData<RulePageData | null>(key, (d) => (d ? { ...d, state: data.state } : d)),
  });

  async function submit(input: StateFormInput) {
    try {
      await change.mutateAsync({ kind: "set", input });
      return { ok: true as const, data: null };
    } catch (err) {
      return refusalOf(err, `Setting the state of ${props.ruleId}`);
    }
  }

  if (!rule) {
    return (
      <section className="card" aria-labelledby="state-heading">
        <h2 id="state-heading">Operational state</h2>
        <p className="muted">{rule === null ? "The rule has been deleted." : "Loading…"}</p>
      </section>
    );
  }
  const st = effectiveAt(rule.state, now);
  const enableError = change.isError && change.variables.kind === "clear" ? refusalOf(change.error, `Enabling ${props.ruleId}`).message : null;

  return (
    <section className="card" aria-labelledby="state-heading" aria-busy={change.isPending}>
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
          <button type="button" disabled={change.isPending || st.state === "enabled"} onClick={() => change.mutate({ kind: "clear" })}>
            Enable
          </button>
        </div>
      )}
      {enableError && (
        <p role="alert" className="form-error">
          {enableError}
        </p>
      )}
      {props.isAdmin && <StateDialog target={dialog} requireReason={props.requireReason} maxExpiryMs={props.maxExpiryMs} onSubmit={submit} onClose={() => setDialog(null)} />}
    </section>
  );
}
