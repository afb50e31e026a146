"use client";
import { useMutationState } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import type { StateFormInput } from "../_actions/rule-state";
import { applyFilters, filtersToQuery, searchText, type ListFilters, type RuleRow } from "../_lib/rule-row";
import type { ActionResult } from "../_server/action-result";
import { useLive, useNow } from "./data/live";
import { BULK_MUTATION_KEY, Refused, STATE_MUTATION_KEY, useBulkMutation, useDescriptionsQuery, useRulesQuery, useStateMutation, type BulkChange, type StateChange } from "./data/rules";
import { RuleGrid } from "./rule-list/grid";
import { FilterBar, StatusLine, type FilterOptions } from "./rule-list/toolbar";
import { useSelection } from "./rule-list/use-selection";
import { StateDialog, type StateDialogTarget } from "./state-dialog";

export interface RuleListProps {
  isAdmin: boolean;
  /** Feed head read by the server before it rendered the page (the live stream starts there). */
  fromSeq: number | null;
  initialFilters: ListFilters;
  problems: string[];
  requireReason: boolean;
  maxExpiryMs: number | null;
}

const NO_ROWS: RuleRow[] = [];

/**
 * /rules: the rows come from the rules query (/api/rules/rows, kept current by the live stream);
 * Disable, Clip, Enable and the bulk actions are mutations that show their result at once and roll
 * back when the server refuses.
 */
export function RuleList(props: RuleListProps) {
  useLive(props.fromSeq);
  const rules = useRulesQuery();
  // Descriptions (most of a rule's text) come after the rows; until then search covers ids, names and ATT&CK.
  const descriptions = useDescriptionsQuery(rules.isSuccess);
  const [filters, setFilters] = useState(props.initialFilters);
  const [dialog, setDialog] = useState<StateDialogTarget | null>(null);
  // The dialog is mounted when first opened: until then nothing of it is drawn, hydrated or redrawn every second.
  const [dialogUsed, setDialogUsed] = useState(false);
  const openDialog = useCallback((target: StateDialogTarget) => {
    setDialogUsed(true);
    setDialog(target);
  }, []);
  const [rowErrors, setRowErrors] = useState<ReadonlyMap<string, string>>(new Map());
  const [bulkIds, setBulkIds] = useState<string[]>([]);
  const [bulkStatus, setBulkStatus] = useState<string | null>(null);
  const [bulkError, setBulkError] = useState<string | null>(null);
  const now = useNow(1000);
  const stateMutation = useStateMutation();
  const bulkMutation = useBulkMutation();

  const all = rules.data?.rows ?? NO_ROWS;
  const names = useMemo(() => rules.data?.names ?? {}, [rules.data]);
  const ids = useMemo(() => new Set(all.map((r) => r.ruleId)), [all]);
  // Search texts per row object (a new cache when the names or descriptions change): a state change
  // replaces one row, so only its text is made again. None is made before there is something to search
  // for (10,000 texts would delay the first rows on screen).
  const textCache = useMemo(() => new WeakMap<RuleRow, string>(), [names, descriptions.data]);
  const searching = filters.q.trim() !== "";
  const texts = useMemo(() => {
    const out = new Map<string, string>();
    if (!searching) return out;
    for (const r of all) {
      let t = textCache.get(r);
      if (t === undefined) textCache.set(r, (t = searchText(r, names, descriptions.data?.[r.ruleId])));
      out.set(r.ruleId, t);
    }
    return out;
  }, [searching, all, names, descriptions.data, textCache]);
  // Expiry changes membership at most once a second; filtering 10,000 rows takes a few ms.
  const visible = useMemo(() => applyFilters(all, texts, filters, now), [all, texts, filters, now]);
  const exists = useCallback((id: string) => ids.has(id), [ids]);
  const selection = useSelection(visible, exists);

  const pendingSingle = useMutationState({ filters: { mutationKey: STATE_MUTATION_KEY, status: "pending" }, select: (m) => m.state.variables as StateChange });
  const pendingBulk = useMutationState({ filters: { mutationKey: BULK_MUTATION_KEY, status: "pending" }, select: (m) => m.state.variables as BulkChange });
  const busy = useMemo(
    () => new Set([...pendingSingle.map((c) => (c.kind === "set" ? c.input.ruleId : c.ruleId)), ...pendingBulk.flatMap((c) => c.ruleIds)]),
    [pendingSingle, pendingBulk],
  );
  const bulkBusy = pendingBulk.length > 0;

  const updateFilters = (patch: Partial<ListFilters>) => {
    const next = { ...filters, ...patch };
    setFilters(next);
    window.history.replaceState(null, "", `/rules${filtersToQuery(next)}`);
  };

  const options = useMemo((): FilterOptions => {
    const tactics = new Set<string>();
    const techniques = new Set<string>();
    const kinds = new Set<string>();
    const origins = new Set<string>();
    for (const r of all) {
      for (const e of r.emits) {
        tactics.add(e.tactic);
        techniques.add(e.sub ?? e.technique);
        techniques.add(e.technique);
      }
      for (const k of r.kinds) kinds.add(k);
      origins.add(r.origin);
    }
    const sorted = (s: Set<string>) => [...s].sort();
    return { tactics: sorted(tactics), techniques: sorted(techniques), kinds: sorted(kinds), origins: sorted(origins) };
  }, [all]);

  const setRowError = (ruleId: string, message: string | null) =>
    setRowErrors((prev) => {
      if (message === null && !prev.has(ruleId)) return prev;
      const next = new Map(prev);
      if (message === null) next.delete(ruleId);
      else next.set(ruleId, message);
      return next;
    });

  /** Runs one state change; a refusal is shown on the row (and returned to the dialog for its field errors). */
  async function changeState(change: StateChange): Promise<ActionResult<unknown>> {
    const ruleId = change.kind === "set" ? change.input.ruleId : change.ruleId;
    setRowError(ruleId, null);
    try {
      const data = await stateMutation.mutateAsync(change);
      return { ok: true, data };
    } catch (err) {
      const refused = refusalOf(err);
      // Field errors belong to the dialog, which stays open; anything else is the row's.
      if (!refused.fieldErrors) setRowError(ruleId, refused.message);
      return refused;
    }
  }

  async function changeBulk(change: BulkChange): Promise<ActionResult<unknown>> {
    setBulkError(null);
    setBulkStatus(null);
    try {
      const data = await bulkMutation.mutateAsync(change);
      setBulkStatus(data.summary);
      // Failed rules stay selected, ready for another try.
      const asked = new Set(change.ruleIds);
      selection.replace(data.failed.map((f) => f.ruleId).filter((id) => asked.has(id)));
      return { ok: true, data };
    } catch (err) {
      const refused = refusalOf(err);
      if (!refused.fieldErrors) setBulkError(refused.message);
      return refused;
    }
  }

  function openBulk(mode: "disabled" | "clipped") {
    const chosen = [...selection.selected];
    setBulkIds(chosen);
    openDialog({ ruleId: "", ruleName: describeIds(chosen), mode, confidenceMax: null, count: chosen.length });
  }

  function submitBulk(input: StateFormInput) {
    const { ruleId: _unused, ...fields } = input;
    return changeBulk({ kind: "set", ruleIds: bulkIds, input: fields });
  }

  return (
    <section className="rule-list">
      {props.problems.length > 0 && (
        <div role="alert" className="problems">
          <strong>Store problems ({props.problems.length})</strong>
          <ul>
            {props.problems.slice(0, 20).map((p) => (
              <li key={p}>
                <code>{p}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
      <FilterBar filters={filters} options={options} names={names} onChange={updateFilters} />
      <StatusLine
        shown={visible.length}
        total={rules.data ? all.length : null}
        isAdmin={props.isAdmin}
        selection={selection}
        bulkBusy={bulkBusy}
        bulkStatus={bulkStatus}
        bulkError={bulkError}
        loadError={rules.error ? rules.error.message : null}
        onBulk={openBulk}
        onEnableSelected={() => void changeBulk({ kind: "clear", ruleIds: [...selection.selected] })}
      />
      <RuleGrid
        rows={visible}
        names={names}
        descriptions={descriptions.data}
        now={now}
        isAdmin={props.isAdmin}
        loading={rules.isPending}
        sort={filters.sort}
        onSort={(sort) => updateFilters({ sort })}
        selection={selection}
        busy={busy}
        errors={rowErrors}
        onDialog={openDialog}
        onEnable={(ruleId) => void changeState({ kind: "clear", ruleId })}
      />
      {props.isAdmin && dialogUsed && (
        <StateDialog
          target={dialog}
          requireReason={props.requireReason}
          maxExpiryMs={props.maxExpiryMs}
          onSubmit={dialog?.count !== undefined ? submitBulk : (input) => changeState({ kind: "set", input })}
          onClose={() => setDialog(null)}
        />
      )}
    </section>
  );
}

function refusalOf(err: unknown): Refused["result"] {
  return err instanceof Refused ? err.result : { ok: false, code: "INTERNAL", message: err instanceof Error ? err.message : String(err) };
}

/** "R1, R2, R3" or "R1, R2, R3, R4, R5 and 95 more". */
function describeIds(ids: string[]): string {
  return ids.length <= 6 ? ids.join(", ") : `${ids.slice(0, 5).join(", ")} and ${ids.length - 5} more`;
}
