"use client";
import Link from "next/link";
import type { ReactNode } from "react";
import { MAX_BULK_RULES } from "../../_lib/bulk-summary";
import type { AttackNames, ListFilters } from "../../_lib/rule-row";
import { LiveBadge } from "../data/live";
import styles from "../rule-list.module.css";
import type { Selection } from "./use-selection";

export interface FilterOptions {
  tactics: string[];
  techniques: string[];
  kinds: string[];
  origins: string[];
}

/** Search and filters (their state lives in the URL, see filtersToQuery). */
export function FilterBar(props: { filters: ListFilters; options: FilterOptions; names: AttackNames; onChange: (patch: Partial<ListFilters>) => void }) {
  const { filters, options, names, onChange } = props;
  const select = (label: string, key: keyof ListFilters, values: string[], render: (v: string) => string = (v) => v) => (
    <label className="filter">
      <span>{label}</span>
      <select value={filters[key]} onChange={(e) => onChange({ [key]: e.target.value } as Partial<ListFilters>)}>
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
    <div className="toolbar" role="search">
      <label className="filter search">
        <span>Search</span>
        <input type="search" value={filters.q} placeholder="id, name, description, technique" onChange={(e) => onChange({ q: e.target.value })} />
      </label>
      <label className="filter">
        <span>State</span>
        <select value={filters.state} onChange={(e) => onChange({ state: e.target.value as ListFilters["state"] })}>
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
        <select value={filters.within} onChange={(e) => onChange({ within: e.target.value })}>
          <option value="">Any time</option>
          <option value="1h">1 hour</option>
          <option value="24h">24 hours</option>
          <option value="7d">7 days</option>
        </select>
      </label>
      <label className="filter">
        <span>Sort</span>
        <select value={filters.sort} onChange={(e) => onChange({ sort: e.target.value as ListFilters["sort"] })}>
          <option value="id">Rule id</option>
          <option value="name">Name</option>
          <option value="state">State</option>
          <option value="expires">Expires soonest</option>
          <option value="updated">Recently updated</option>
        </select>
      </label>
    </div>
  );
}

/** The count, the live badge, the bulk bar (admins) with its own status and error, and the links. */
export function StatusLine(props: {
  shown: number;
  total: number | null;
  isAdmin: boolean;
  selection: Selection;
  bulkBusy: boolean;
  bulkStatus: string | null;
  bulkError: string | null;
  loadError: string | null;
  onBulk: (mode: "disabled" | "clipped") => void;
  onEnableSelected: () => void;
}): ReactNode {
  const { selection: sel, bulkBusy } = props;
  const n = sel.selected.size;
  const canBulk = n > 0 && n <= MAX_BULK_RULES && !bulkBusy;
  return (
    <div className={styles.statusLine}>
      <p className="summary" aria-live="polite">
        <span data-testid="rule-count">{props.total === null ? "Loading rules…" : `${props.shown} of ${props.total} rules`}</span>
        <LiveBadge />
        {props.loadError && (
          <span role="alert" className="form-error">
            {props.loadError}
          </span>
        )}
      </p>
      {props.isAdmin && (
        <div role="group" aria-label="Bulk actions" className={styles.bulk}>
          <span className={styles.count}>{n} selected</span>
          {n > sel.visibleSelected && <span className="muted">({n - sel.visibleSelected} not shown by the filters)</span>}
          {n > MAX_BULK_RULES && <span className="form-error">at most {MAX_BULK_RULES.toLocaleString("en")} at a time</span>}
          <button type="button" disabled={n === 0 || bulkBusy} onClick={sel.clear}>
            Clear selection
          </button>
          <button type="button" disabled={!canBulk} onClick={() => props.onBulk("disabled")}>
            Disable selected
          </button>
          <button type="button" disabled={!canBulk} onClick={() => props.onBulk("clipped")}>
            Clip selected
          </button>
          <button type="button" disabled={!canBulk} onClick={props.onEnableSelected}>
            Enable selected
          </button>
          <span role="status" className={styles.status}>
            {bulkBusy ? "Saving…" : (props.bulkStatus ?? "")}
          </span>
          {props.bulkError && (
            <span role="alert" className="form-error">
              {props.bulkError}
            </span>
          )}
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
  );
}
