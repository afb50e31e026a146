"use client";
import { useVirtualizer } from "@tanstack/react-virtual";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { parseDurationMs } from "../../lib/state/durations";
import type { RuleState } from "../../lib/state/rule-state";
import { clearRuleStateAction, setRuleStateAction, type StateFormInput } from "../_actions/rule-state";
import type { LiveMessage } from "../_lib/live-message";
import {
  applyFilters,
  effectiveAt,
  filtersToQuery,
  searchText,
  type AttackNames,
  type ListFilters,
  type RuleRow,
} from "../_lib/rule-row";
import { StateChip, timeLeft } from "./state-chip";
import { StateDialog, type StateDialogTarget } from "./state-dialog";
import { useLiveChanges, useNow } from "./use-live-changes";

const ROW_HEIGHT = 44;

export interface RuleListProps {
  rows: RuleRow[];
  names: AttackNames;
  isAdmin: boolean;
  fromSeq: number | null;
  initialFilters: ListFilters;
  problems: string[];
  requireReason: boolean;
  maxExpiryMs: number | null;
}

function byId(rows: RuleRow[]): Map<string, RuleRow> {
  return new Map(rows.map((r) => [r.ruleId, r]));
}

export function RuleList(props: RuleListProps) {
  const router = useRouter();
  const [rules, setRules] = useState(() => byId(props.rows));
  const [names, setNames] = useState(props.names);
  const [filters, setFilters] = useState(props.initialFilters);
  const [dialog, setDialog] = useState<StateDialogTarget | null>(null);
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  const [notice, setNotice] = useState<string | null>(null);
  const now = useNow(1000);

  // A server refresh (resync) brings new props: start again from them.
  useEffect(() => {
    setRules(byId(props.rows));
    setNames(props.names);
  }, [props.rows, props.names]);

  const onMessage = useCallback((m: LiveMessage) => {
    if (m.kind === "definition") setNames((n) => ({ ...n, ...m.names }));
    setRules((prev) => {
      const next = new Map(prev);
      if (m.kind === "state") {
        const row = prev.get(m.ruleId);
        if (row) next.set(m.ruleId, { ...row, state: m.state });
      } else if (m.kind === "definition") next.set(m.ruleId, m.row);
      else if (m.kind === "deleted") next.delete(m.ruleId);
      return next;
    });
  }, []);
  const live = useLiveChanges(props.fromSeq, onMessage, () => router.refresh());

  const all = useMemo(() => [...rules.values()], [rules]);
  const texts = useMemo(() => new Map(all.map((r) => [r.ruleId, searchText(r, names)])), [all, names]);
  // Expiry changes membership at most once a second; filtering 10,000 rows takes a few ms.
  const visible = useMemo(() => applyFilters(all, texts, filters, now), [all, texts, filters, now]);

  const updateFilters = (patch: Partial<ListFilters>) => {
    const next = { ...filters, ...patch };
    setFilters(next);
    window.history.replaceState(null, "", `/rules${filtersToQuery(next)}`);
  };

  const options = useMemo(() => {
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

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: visible.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });

  /** Optimistic: show the new state at once, confirm with the server's, roll back on error. */
  async function applyState(ruleId: string, optimistic: RuleState, call: () => ReturnType<typeof setRuleStateAction>) {
    const before = rules.get(ruleId)?.state;
    setRules((prev) => {
      const row = prev.get(ruleId);
      return row ? new Map(prev).set(ruleId, { ...row, state: optimistic }) : prev;
    });
    setPending((p) => new Set(p).add(ruleId));
    let result: Awaited<ReturnType<typeof setRuleStateAction>>;
    try {
      result = await call();
    } catch {
      result = { ok: false, code: "INTERNAL", message: "The server could not be reached; nothing was changed." };
    }
    setPending((p) => {
      const n = new Set(p);
      n.delete(ruleId);
      return n;
    });
    setRules((prev) => {
      const row = prev.get(ruleId);
      if (!row) return prev;
      const state = result.ok ? result.data.state : before;
      return state ? new Map(prev).set(ruleId, { ...row, state }) : prev;
    });
    setNotice(result.ok ? null : `${ruleId}: ${result.message}`);
    return result;
  }

  function submitState(input: StateFormInput) {
    const expires = input.expires;
    const optimistic: RuleState = {
      state: input.state,
      confidence_max: input.state === "clipped" ? Number(input.confidenceMax) : null,
      expires_at: optimisticExpiry(expires),
      reason: input.reason?.trim() || null,
      set_by: "…",
      set_at: new Date().toISOString(),
    };
    return applyState(input.ruleId, optimistic, () => setRuleStateAction(input));
  }

  function enable(ruleId: string) {
    const optimistic: RuleState = { state: "enabled", confidence_max: null, expires_at: null, reason: null, set_by: null, set_at: null };
    void applyState(ruleId, optimistic, () => clearRuleStateAction(ruleId));
  }

  const select = (label: string, key: keyof ListFilters, values: string[], render: (v: string) => string = (v) => v) => (
    <label className="filter">
      <span>{label}</span>
      <select value={filters[key]} onChange={(e) => updateFilters({ [key]: e.target.value } as Partial<ListFilters>)}>
        <option value="">Any</option>
        {values.map((v) => (
          <option key={v} value={v}>
            {render(v)}
          </option>
        ))}
      </select>
    </label>
  );

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
      <div className="toolbar" role="search">
        <label className="filter search">
          <span>Search</span>
          <input type="search" value={filters.q} placeholder="id, name, description, technique" onChange={(e) => updateFilters({ q: e.target.value })} />
        </label>
        <label className="filter">
          <span>State</span>
          <select value={filters.state} onChange={(e) => updateFilters({ state: e.target.value as ListFilters["state"] })}>
            <option value="">Any</option>
            <option value="enabled">Enabled</option>
            <option value="disabled">Disabled</option>
            <option value="clipped">Clipped</option>
            <option value="expiring">Has an expiry</option>
          </select>
        </label>
        {select("Tactic", "tactic", options.tactics, (v) => `${v} ${names[v]?.name ?? ""}`)}
        {select("Technique", "technique", options.techniques, (v) => `${v} ${names[v]?.name ?? ""}`)}
        {select("Source kind", "kind", options.kinds)}
        {select("Origin", "origin", options.origins)}
        <label className="filter">
          <span>Expiring within</span>
          <select value={filters.within} onChange={(e) => updateFilters({ within: e.target.value })}>
            <option value="">Any time</option>
            <option value="1h">1 hour</option>
            <option value="24h">24 hours</option>
            <option value="7d">7 days</option>
          </select>
        </label>
        <label className="filter">
          <span>Sort</span>
          <select value={filters.sort} onChange={(e) => updateFilters({ sort: e.target.value as ListFilters["sort"] })}>
            <option value="id">Rule id</option>
            <option value="name">Name</option>
            <option value="state">State</option>
            <option value="expires">Expires soonest</option>
            <option value="updated">Recently updated</option>
          </select>
        </label>
      </div>
      <p className="summary" aria-live="polite">
        <span data-testid="rule-count">
          {visible.length} of {all.length} rules
        </span>
        <span className={`live live-${live}`}>{live === "live" ? "● live" : live === "connecting" ? "○ connecting" : "○ reconnecting…"}</span>
        {notice && (
          <span role="alert" className="form-error">
            {notice}
          </span>
        )}
      </p>
      <div role="table" aria-label="Rules" aria-rowcount={visible.length + 1} className="grid">
        <div role="rowgroup" className="grid-head">
          <div role="row" aria-rowindex={1} className="grid-row">
            {["ID", "Name", "Tactic", "Technique", "Source kinds", "State", "Expires", "Reason", "Set by", "Origin", "Rev", "Actions"].map((h) => (
              <div role="columnheader" key={h}>
                {h}
              </div>
            ))}
          </div>
        </div>
        <div ref={scrollRef} className="grid-scroll" role="rowgroup">
          <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
            {virtualizer.getVirtualItems().map((item) => {
              const row = visible[item.index];
              if (!row) return null;
              const st = effectiveAt(row.state, now);
              const first = row.emits[0];
              const busy = pending.has(row.ruleId);
              return (
                <div
                  role="row"
                  key={row.ruleId}
                  aria-rowindex={item.index + 2}
                  aria-busy={busy || undefined}
                  className="grid-row"
                  style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                >
                  <div role="cell">
                    <Link href={`/rules/${row.ruleId}`}>{row.ruleId}</Link>
                  </div>
                  <div role="cell" className="ellipsis" title={row.description}>
                    {row.name}
                  </div>
                  <div role="cell" className="ellipsis">
                    {first && <AttackLink id={first.tactic} names={names} />}
                  </div>
                  <div role="cell" className="ellipsis">
                    {first && <AttackLink id={first.sub ?? first.technique} names={names} />}
                    {row.emits.length > 1 && <span className="muted"> +{row.emits.length - 1}</span>}
                  </div>
                  <div role="cell" className="ellipsis">
                    {row.kinds.join(", ")}
                  </div>
                  <div role="cell">
                    <StateChip state={st} />
                    {busy && <span className="muted"> saving…</span>}
                  </div>
                  <div role="cell" title={st.expires_at ?? undefined}>
                    {timeLeft(st.expires_at, now)}
                  </div>
                  <div role="cell" className="ellipsis" title={st.reason ?? undefined}>
                    {st.reason ?? ""}
                  </div>
                  <div role="cell" className="ellipsis">
                    {st.set_by ?? ""}
                  </div>
                  <div role="cell">{row.origin}</div>
                  <div role="cell">{row.revision}</div>
                  <div role="cell" className="row-actions">
                    {props.isAdmin && (
                      <>
                        <button type="button" disabled={busy} onClick={() => setDialog({ ruleId: row.ruleId, ruleName: row.name, mode: "disabled", confidenceMax: null })}>
                          Disable
                        </button>
                        <button
                          type="button"
                          disabled={busy}
                          onClick={() => setDialog({ ruleId: row.ruleId, ruleName: row.name, mode: "clipped", confidenceMax: st.confidence_max })}
                        >
                          Clip
                        </button>
                        <button type="button" disabled={busy || st.state === "enabled"} onClick={() => enable(row.ruleId)}>
                          Enable
                        </button>
                      </>
                    )}
                  </div>
                </div>
              );
            })}
          </div>
        </div>
      </div>
      {props.isAdmin && (
        <StateDialog target={dialog} requireReason={props.requireReason} maxExpiryMs={props.maxExpiryMs} onSubmit={submitState} onClose={() => setDialog(null)} />
      )}
    </section>
  );
}

function optimisticExpiry(expires: string): string | null {
  if (expires === "never") return null;
  const ms = parseDurationMs(expires);
  const t = ms !== null ? Date.now() + ms : Date.parse(expires);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
}

function AttackLink({ id, names }: { id: string; names: AttackNames }) {
  const n = names[id];
  if (!n) return <span>{id}</span>;
  return (
    <a href={n.url} target="_blank" rel="noreferrer" title={n.name}>
      {id} {n.name}
    </a>
  );
}
