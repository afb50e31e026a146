"use client";
import { useVirtualizer } from "@tanstack/react-virtual";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { parseDurationMs } from "../../lib/state/durations";
import type { RuleState } from "../../lib/state/semantics";
import { bulkClearRuleStateAction, bulkSetRuleStateAction } from "../_actions/bulk";
import { clearRuleStateAction, setRuleStateAction, type StateFormInput } from "../_actions/rule-state";
import { MAX_BULK_RULES } from "../_lib/bulk-summary";
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
import styles from "./rule-list.module.css";
import { StateDialog, type StateDialogTarget } from "./state-dialog";
import { useLiveChanges, useNow } from "./use-live-changes";

const ROW_HEIGHT = 44;
/** Live changes are applied in batches: a bulk change of 10,000 rules must not re-render 10,000 times. */
const LIVE_BATCH_MS = 16;
const ENABLED: RuleState = { state: "enabled", confidence_max: null, expires_at: null, reason: null, set_by: null, set_at: null };

type BulkResult = Awaited<ReturnType<typeof bulkSetRuleStateAction>>;

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
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [bulkIds, setBulkIds] = useState<string[]>([]);
  const [bulkBusy, setBulkBusy] = useState(false);
  const [bulkStatus, setBulkStatus] = useState<string | null>(null);
  const anchor = useRef<string | null>(null);
  const now = useNow(1000);
  // Descriptions arrive after the list is interactive; until then search covers ids, names and ATT&CK.
  const [descriptions, setDescriptions] = useState<Record<string, string> | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    fetch("/api/rules/descriptions", { signal: ctl.signal })
      .then((r) => (r.ok ? (r.json() as Promise<Record<string, string>>) : null))
      .then((d) => d && setDescriptions(d))
      .catch(() => undefined);
    return () => ctl.abort();
  }, [props.rows]);

  // A server refresh (resync) brings new props: start again from them.
  useEffect(() => {
    const fresh = byId(props.rows);
    setRules(fresh);
    setNames(props.names);
    setSelected((prev) => pruned(prev, (id) => fresh.has(id)));
  }, [props.rows, props.names]);

  const queue = useRef<LiveMessage[]>([]);
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const flush = useCallback(() => {
    flushTimer.current = null;
    const batch = queue.current;
    queue.current = [];
    if (batch.length === 0) return;
    const defs = batch.flatMap((m) => (m.kind === "definition" ? [m] : []));
    if (defs.length > 0) {
      setNames((n) => Object.assign({}, n, ...defs.map((d) => d.names)));
      setDescriptions((d) => (d === null ? d : Object.assign({}, d, ...defs.map((m) => ({ [m.ruleId]: m.description })))));
    }
    setRules((prev) => {
      const next = new Map(prev);
      for (const m of batch) {
        if (m.kind === "state") {
          const row = next.get(m.ruleId);
          if (row) next.set(m.ruleId, { ...row, state: m.state });
        } else if (m.kind === "definition") next.set(m.ruleId, m.row);
        else if (m.kind === "deleted") next.delete(m.ruleId);
      }
      return next;
    });
    const gone = new Set(batch.flatMap((m) => (m.kind === "deleted" ? [m.ruleId] : [])));
    if (gone.size > 0) setSelected((prev) => pruned(prev, (id) => !gone.has(id)));
  }, []);
  useEffect(
    () => () => {
      if (flushTimer.current) clearTimeout(flushTimer.current);
    },
    [],
  );
  const onMessage = useCallback(
    (m: LiveMessage) => {
      queue.current.push(m);
      flushTimer.current ??= setTimeout(flush, LIVE_BATCH_MS);
    },
    [flush],
  );
  const live = useLiveChanges(props.fromSeq, onMessage, () => router.refresh());

  const all = useMemo(() => [...rules.values()], [rules]);
  const texts = useMemo(() => new Map(all.map((r) => [r.ruleId, searchText(r, names, descriptions?.[r.ruleId])])), [all, names, descriptions]);
  // Expiry changes membership at most once a second; filtering 10,000 rows takes a few ms.
  const visible = useMemo(() => applyFilters(all, texts, filters, now), [all, texts, filters, now]);
  const visibleSelected = useMemo(() => visible.reduce((n, r) => n + (selected.has(r.ruleId) ? 1 : 0), 0), [visible, selected]);
  const allVisibleSelected = visible.length > 0 && visibleSelected === visible.length;
  const headCheckbox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (headCheckbox.current) headCheckbox.current.indeterminate = visibleSelected > 0 && !allVisibleSelected;
  }, [visibleSelected, allVisibleSelected]);

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

  const rowClass = props.isAdmin ? `grid-row ${styles.selectable}` : "grid-row";
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
    return applyState(input.ruleId, optimisticState(input), () => setRuleStateAction(input));
  }

  function enable(ruleId: string) {
    void applyState(ruleId, ENABLED, () => clearRuleStateAction(ruleId));
  }

  /** "Select all matching": every rule the filters let through, not only the rows drawn. */
  function toggleAllMatching() {
    setSelected((prev) => {
      const next = new Set(prev);
      if (allVisibleSelected) for (const r of visible) next.delete(r.ruleId);
      else for (const r of visible) next.add(r.ruleId);
      return next;
    });
    anchor.current = null;
  }

  /** Shift-click selects or clears the range from the previous click (in the current order). */
  function toggleRow(ruleId: string, checked: boolean, shift: boolean) {
    const from = shift && anchor.current !== null ? visible.findIndex((r) => r.ruleId === anchor.current) : -1;
    const to = visible.findIndex((r) => r.ruleId === ruleId);
    setSelected((prev) => {
      const next = new Set(prev);
      const ids = from >= 0 && to >= 0 ? visible.slice(Math.min(from, to), Math.max(from, to) + 1).map((r) => r.ruleId) : [ruleId];
      for (const id of ids) {
        if (checked) next.add(id);
        else next.delete(id);
      }
      return next;
    });
    anchor.current = ruleId;
  }

  function clearSelection() {
    setSelected(new Set());
    anchor.current = null;
  }

  /** Optimistic for every rule, then each row takes the server's state (or its old one back on failure). */
  async function runBulk(ids: string[], optimistic: RuleState, call: () => Promise<BulkResult>): Promise<BulkResult> {
    const before = new Map<string, RuleState>();
    for (const id of ids) {
      const st = rules.get(id)?.state;
      if (st) before.set(id, st);
    }
    const idSet = new Set(ids);
    setRules((prev) => {
      const next = new Map(prev);
      for (const id of ids) {
        const row = prev.get(id);
        if (row) next.set(id, { ...row, state: optimistic });
      }
      return next;
    });
    setPending((p) => new Set([...p, ...ids]));
    setBulkBusy(true);
    setBulkStatus(null);
    let result: BulkResult;
    try {
      result = await call();
    } catch {
      result = { ok: false, code: "INTERNAL", message: "The server could not be reached; reload the page to see what was changed." };
    }
    setBulkBusy(false);
    setPending((p) => pruned(p, (id) => !idSet.has(id)));
    const confirmed = new Map<string, RuleState>();
    if (result.ok) for (const r of [...result.data.succeeded, ...result.data.unchanged]) confirmed.set(r.ruleId, r.state);
    setRules((prev) => {
      const next = new Map(prev);
      for (const id of ids) {
        const row = prev.get(id);
        const state = confirmed.get(id) ?? before.get(id);
        if (row && state) next.set(id, { ...row, state });
      }
      return next;
    });
    if (result.ok) {
      setBulkStatus(result.data.summary);
      // Failed rules stay selected, ready for another try.
      setSelected(new Set(result.data.failed.map((f) => f.ruleId).filter((id) => idSet.has(id))));
      setNotice(null);
    } else if (!result.fieldErrors) setNotice(result.message);
    return result;
  }

  function openBulk(mode: "disabled" | "clipped") {
    const ids = [...selected];
    setBulkIds(ids);
    setDialog({ ruleId: "", ruleName: describeIds(ids), mode, confidenceMax: null, count: ids.length });
  }

  function submitBulk(input: StateFormInput) {
    const { ruleId: _unused, ...fields } = input;
    return runBulk(bulkIds, optimisticState(input), () => bulkSetRuleStateAction({ ...fields, ruleIds: bulkIds }));
  }

  function enableSelected() {
    const ids = [...selected];
    void runBulk(ids, ENABLED, () => bulkClearRuleStateAction({ ruleIds: ids }));
  }

  const canBulk = selected.size > 0 && selected.size <= MAX_BULK_RULES && !bulkBusy;

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
      <div className={styles.statusLine}>
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
        {props.isAdmin && (
          <div role="group" aria-label="Bulk actions" className={styles.bulk}>
            <span className={styles.count}>{selected.size} selected</span>
            {selected.size > visibleSelected && <span className="muted">({selected.size - visibleSelected} not shown by the filters)</span>}
            {selected.size > MAX_BULK_RULES && <span className="form-error">at most {MAX_BULK_RULES.toLocaleString("en")} at a time</span>}
            <button type="button" disabled={selected.size === 0 || bulkBusy} onClick={clearSelection}>
              Clear selection
            </button>
            <button type="button" disabled={!canBulk} onClick={() => openBulk("disabled")}>
              Disable selected
            </button>
            <button type="button" disabled={!canBulk} onClick={() => openBulk("clipped")}>
              Clip selected
            </button>
            <button type="button" disabled={!canBulk} onClick={enableSelected}>
              Enable selected
            </button>
            <span role="status" className={styles.status}>
              {bulkBusy ? "Saving…" : (bulkStatus ?? "")}
            </span>
          </div>
        )}
        {props.isAdmin && (
          <Link href="/rules/new-rule" className={styles.transferLink}>
            New rule
          </Link>
        )}
        <Link href="/rules/import-export" className={styles.transferLink}>
          Import / export
        </Link>
      </div>
      <div role="table" aria-label="Rules" aria-rowcount={visible.length + 1} className="grid">
        <div role="rowgroup" className="grid-head">
          <div role="row" aria-rowindex={1} className={rowClass}>
            {["ID", "Name", "Tactic", "Technique", "Source kinds", "State", "Expires", "Reason", "Set by", "Origin", "Rev", "Actions"].map((h) => (
              <div role="columnheader" key={h} className={h === "ID" && props.isAdmin ? styles.idCell : undefined}>
                {h === "ID" && props.isAdmin && (
                  <input
                    ref={headCheckbox}
                    type="checkbox"
                    aria-label="Select all matching"
                    title={`Select all ${visible.length} matching rules`}
                    checked={allVisibleSelected}
                    disabled={visible.length === 0}
                    onChange={toggleAllMatching}
                  />
                )}
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
                  className={rowClass}
                  style={{ position: "absolute", top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)` }}
                >
                  {/* The cell is named by the id alone (the checkbox has its own name). */}
                  <div role="cell" aria-label={row.ruleId} className={props.isAdmin ? styles.idCell : undefined}>
                    {props.isAdmin && (
                      <input
                        type="checkbox"
                        aria-label={`Select ${row.ruleId}`}
                        checked={selected.has(row.ruleId)}
                        onChange={(e) => toggleRow(row.ruleId, e.target.checked, (e.nativeEvent as MouseEvent).shiftKey === true)}
                      />
                    )}
                    <Link href={`/rules/${row.ruleId}`}>{row.ruleId}</Link>
                  </div>
                  <div role="cell" className="ellipsis" title={descriptions?.[row.ruleId]}>
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
        <StateDialog
          target={dialog}
          requireReason={props.requireReason}
          maxExpiryMs={props.maxExpiryMs}
          onSubmit={dialog?.count !== undefined ? submitBulk : submitState}
          onClose={() => setDialog(null)}
        />
      )}
    </section>
  );
}

/** The set without the ids `keep` rejects (the same set when nothing goes). */
function pruned(set: ReadonlySet<string>, keep: (id: string) => boolean): ReadonlySet<string> {
  for (const id of set) if (!keep(id)) return new Set([...set].filter(keep));
  return set;
}

/** "R1, R2, R3" or "R1, R2, R3, R4, R5 and 95 more". */
function describeIds(ids: string[]): string {
  return ids.length <= 6 ? ids.join(", ") : `${ids.slice(0, 5).join(", ")} and ${ids.length - 5} more`;
}

/** What the row shows while the server action runs (rolled back if it is refused). */
function optimisticState(input: StateFormInput): RuleState {
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

function AttackLink({ id, names }: { id: string; names: AttackNames }) {
  const n = names[id];
  if (!n) return <span>{id}</span>;
  return (
    <a href={n.url} target="_blank" rel="noreferrer" title={n.name}>
      {id} {n.name}
    </a>
  );
}
