"use client";
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { parseDurationMs } from "../../../lib/state/durations";
import { defaultState, type RuleState } from "../../../lib/state/semantics";
import { bulkClearRuleStateAction, bulkSetRuleStateAction } from "../../_actions/bulk";
import { clearRuleStateAction, setRuleStateAction, type StateFormInput } from "../../_actions/rule-state";
import { fromCompactRows, ROWS_URL, type RowsPayload } from "../../_lib/rule-row";
import type { ActionResult } from "../../_server/action-result";
import { useLiveConnection, type LiveConnection } from "./live";
import { queryKeys } from "./query-keys";
import { applyLiveToRules, type RulesData } from "./rules-cache";

export type { RulesData };

export const ENABLED: RuleState = defaultState();

/** A server action's refusal, thrown by a mutation so react-query rolls back (`onError`). */
export class Refused extends Error {
  constructor(readonly result: Extract<ActionResult<unknown>, { ok: false }>) {
    super(result.message);
  }
}

/** Reads every row; changes the stream delivered while the request ran are applied on top. */
export async function fetchRules(conn: LiveConnection, signal?: AbortSignal): Promise<RulesData> {
  const mark = conn.mark();
  // Same mode and credentials as the page's preload of this URL, and no cache option: the preloaded answer is used.
  const res = await fetch(ROWS_URL, { credentials: "same-origin", signal });
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { detail?: unknown } | null;
    throw new Error(typeof body?.detail === "string" ? body.detail : `Reading the rules failed: the server answered ${res.status}.`);
  }
  const payload = (await res.json()) as RowsPayload;
  const data: RulesData = { rows: fromCompactRows(payload), names: payload.names };
  const missed = conn.since(mark);
  return missed ? applyLiveToRules(data, missed) : data;
}

export function useRulesQuery() {
  const conn = useLiveConnection();
  const client = useQueryClient();
  const options = { queryKey: queryKeys.rules(), queryFn: ({ signal }: { signal: AbortSignal }) => fetchRules(conn, signal) };
  // Asked for while the page hydrates (as usePrefetchQuery does, in the browser only), not after: the
  // preloaded answer is read and parsed in the gaps of hydration instead of after it.
  if (typeof window !== "undefined" && client.getQueryState(options.queryKey) === undefined) void client.prefetchQuery(options);
  return useQuery(options);
}

/** rule id → description, for the search (most of a rule's text: fetched after the rows). */
export function useDescriptionsQuery(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.descriptions(),
    enabled,
    queryFn: async ({ signal }) => {
      const r = await fetch("/api/rules/descriptions", { credentials: "same-origin", cache: "no-store", signal });
      if (!r.ok) throw new Error(`Reading the descriptions failed: the server answered ${r.status}.`);
      return (await r.json()) as Record<string, string>;
    },
  });
}

/** Sets the state of the rows in `states` (rule id → state) in the cache. */
function setStates(client: QueryClient, states: ReadonlyMap<string, RuleState>): void {
  if (states.size === 0) return;
  client.setQueryData<RulesData>(queryKeys.rules(), (d) => d && { ...d, rows: d.rows.map((r) => (states.has(r.ruleId) ? { ...r, state: states.get(r.ruleId) as RuleState } : r)) });
}

function statesOf(client: QueryClient, ids: readonly string[]): Map<string, RuleState> {
  const want = new Set(ids);
  const out = new Map<string, RuleState>();
  for (const r of client.getQueryData<RulesData>(queryKeys.rules())?.rows ?? []) if (want.has(r.ruleId)) out.set(r.ruleId, r.state);
  return out;
}

function unwrap<T>(r: ActionResult<T>): T {
  if (!r.ok) throw new Refused(r);
  return r.data;
}

const unreachable = (what: string): Refused =>
  new Refused({ ok: false, code: "INTERNAL", message: `The server could not be reached; ${what}` });

/** Disable, Clip (set) and Enable (clear) one rule: optimistic, rolled back when the server refuses. */
export type StateChange = { kind: "set"; input: StateFormInput } | { kind: "clear"; ruleId: string };

export const STATE_MUTATION_KEY = ["rule-state"] as const;
export const BULK_MUTATION_KEY = ["rule-state-bulk"] as const;

export function useStateMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationKey: STATE_MUTATION_KEY,
    mutationFn: async (c: StateChange) => {
      const call = c.kind === "set" ? setRuleStateAction(c.input) : clearRuleStateAction(c.ruleId);
      return unwrap(await call.catch(() => Promise.reject(unreachable("nothing was changed."))));
    },
    onMutate: async (c) => {
      const id = c.kind === "set" ? c.input.ruleId : c.ruleId;
      await client.cancelQueries({ queryKey: queryKeys.rules() });
      const before = statesOf(client, [id]);
      setStates(client, new Map([[id, c.kind === "set" ? optimisticState(c.input) : ENABLED]]));
      return { before };
    },
    onError: (_err, _c, ctx) => {
      if (ctx) setStates(client, ctx.before);
    },
    onSuccess: (data, c) => setStates(client, new Map([[c.kind === "set" ? c.input.ruleId : c.ruleId, data.state]])),
  });
}

export type BulkChange = { kind: "set"; ruleIds: string[]; input: Omit<StateFormInput, "ruleId"> } | { kind: "clear"; ruleIds: string[] };

/** The bulk bar's Disable / Clip / Enable selected: every row optimistic; refused or failed rows get their state back. */
export function useBulkMutation() {
  const client = useQueryClient();
  return useMutation({
    mutationKey: BULK_MUTATION_KEY,
    mutationFn: async (c: BulkChange) => {
      const call = c.kind === "set" ? bulkSetRuleStateAction({ ...c.input, ruleIds: c.ruleIds }) : bulkClearRuleStateAction({ ruleIds: c.ruleIds });
      return unwrap(await call.catch(() => Promise.reject(unreachable("reload the page to see what was changed."))));
    },
    onMutate: async (c) => {
      await client.cancelQueries({ queryKey: queryKeys.rules() });
      const before = statesOf(client, c.ruleIds);
      const optimistic = c.kind === "set" ? optimisticState({ ...c.input, ruleId: "" }) : ENABLED;
      setStates(client, new Map(c.ruleIds.map((id) => [id, optimistic])));
      return { before };
    },
    onError: (_err, _c, ctx) => {
      if (ctx) setStates(client, ctx.before);
    },
    onSuccess: (data, _c, ctx) => {
      // Failed rules get their state from before back; the others the server's.
      const next = new Map<string, RuleState>(ctx.before);
      for (const r of [...data.succeeded, ...data.unchanged]) next.set(r.ruleId, r.state);
      setStates(client, next);
    },
  });
}

/** What the row shows while the server action runs (rolled back if it is refused). */
export function optimisticState(input: StateFormInput): RuleState {
  return {
    state: input.state,
    confidence_max: input.state === "clipped" ? (input.confidence_max ?? null) : null,
    expires_at: optimisticExpiry(input.expires_at ?? null),
    reason: input.reason?.trim() || null,
    set_by: "…",
    set_at: new Date().toISOString(),
  };
}

function optimisticExpiry(expires: string | null): string | null {
  if (expires === null) return null;
  const ms = parseDurationMs(expires);
  const t = ms !== null ? Date.now() + ms : Date.parse(expires);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}
