"use client";
import { useVirtualizer } from "@tanstack/react-virtual";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { effectiveAt, type AttackNames, type ListFilters, type RuleRow } from "../../_lib/rule-row";
import styles from "../rule-list.module.css";
import { StateChip, timeLeft } from "../state-chip";
import type { StateDialogTarget } from "../state-dialog";
import type { Selection } from "./use-selection";

const ROW_HEIGHT = 44;
/** Rows drawn beyond the visible ones (ahead of scrolling). */
const OVERSCAN = 12;

const COLUMNS: { label: string; sort?: ListFilters["sort"] }[] = [
  { label: "ID", sort: "id" },
  { label: "Name", sort: "name" },
  { label: "Tactic" },
  { label: "Technique" },
  { label: "Source kinds" },
  { label: "State", sort: "state" },
  { label: "Expires", sort: "expires" },
  { label: "Reason" },
  { label: "Set by" },
  { label: "Origin" },
  { label: "Rev" },
  { label: "Actions" },
];

export interface GridProps {
  rows: readonly RuleRow[];
  names: AttackNames;
  descriptions: Record<string, string> | undefined;
  now: number;
  isAdmin: boolean;
  loading: boolean;
  sort: ListFilters["sort"];
  onSort: (sort: ListFilters["sort"]) => void;
  selection: Selection;
  busy: ReadonlySet<string>;
  /** rule id → why the server refused the last change made on its row. */
  errors: ReadonlyMap<string, string>;
  onDialog: (target: StateDialogTarget) => void;
  onEnable: (ruleId: string) => void;
}

/** The rules table: sortable headers, and only the rows on screen are drawn. */
export function RuleGrid(props: GridProps) {
  const { rows, names, now, isAdmin, selection } = props;
  const rowClass = `grid-row ${styles.row}${isAdmin ? ` ${styles.selectable}` : ""}`;
  const scrollRef = useRef<HTMLDivElement>(null);
  // The first rows on screen come first: the rows beyond them follow once those are painted.
  const [overscan, setOverscan] = useState(0);
  const hasRows = rows.length > 0;
  useEffect(() => {
    if (!hasRows) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => (timer = setTimeout(() => setOverscan(OVERSCAN), 0)));
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [hasRows]);
  const virtualizer = useVirtualizer({ count: rows.length, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan });
  const headCheckbox = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (headCheckbox.current) headCheckbox.current.indeterminate = selection.visibleSelected > 0 && !selection.allVisibleSelected;
  }, [selection.visibleSelected, selection.allVisibleSelected]);

  return (
    <div role="table" aria-label="Rules" aria-rowcount={rows.length + 1} aria-busy={props.loading || undefined} className="grid">
      <div role="rowgroup" className="grid-head">
        <div role="row" aria-rowindex={1} className={rowClass}>
          {COLUMNS.map(({ label, sort }) => (
            <div
              role="columnheader"
              key={label}
              className={label === "ID" && isAdmin ? styles.idCell : undefined}
              aria-sort={sort === undefined ? undefined : props.sort === sort ? "ascending" : "none"}
            >
              {label === "ID" && isAdmin && (
                <input
                  ref={headCheckbox}
                  type="checkbox"
                  aria-label="Select all matching"
                  title={`Select all ${rows.length} matching rules`}
                  checked={selection.allVisibleSelected}
                  disabled={rows.length === 0}
                  onChange={selection.toggleAllMatching}
                />
              )}
              {sort === undefined ? (
                label
              ) : (
                <button type="button" className={styles.sortButton} onClick={() => props.onSort(sort)} title={`Sort by ${label.toLowerCase()}`}>
                  {label}
                </button>
              )}
            </div>
          ))}
        </div>
      </div>
      <div ref={scrollRef} className={`grid-scroll ${styles.scroll}`} role="rowgroup">
        {props.loading && <p className={styles.loading}>Loading rules…</p>}
        <div style={{ height: virtualizer.getTotalSize(), position: "relative" }}>
          {virtualizer.getVirtualItems().map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            const st = effectiveAt(row.state, now);
            const first = row.emits[0];
            const busy = props.busy.has(row.ruleId);
            const error = props.errors.get(row.ruleId);
            const description = props.descriptions?.[row.ruleId];
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
                <div role="cell" aria-label={row.ruleId} className={isAdmin ? styles.idCell : undefined}>
                  {isAdmin && (
                    <input
                      type="checkbox"
                      aria-label={`Select ${row.ruleId}`}
                      checked={selection.selected.has(row.ruleId)}
                      onChange={(e) => selection.toggleRow(row.ruleId, e.target.checked, (e.nativeEvent as MouseEvent).shiftKey === true)}
                    />
                  )}
                  {/* Not prefetched: every row scrolled past would have the server render its rule page. */}
                  <Link href={`/rules/${row.ruleId}`} prefetch={false}>
                    {row.ruleId}
                  </Link>
                </div>
                <Truncated text={row.name} title={description ? `${row.name}\n\n${description}` : row.name} />
                <div role="cell" className="ellipsis">
                  {first && <AttackLink id={first.tactic} names={names} />}
                </div>
                <div role="cell" className="ellipsis">
                  {first && <AttackLink id={first.sub ?? first.technique} names={names} />}
                  {row.emits.length > 1 && <span className="muted"> +{row.emits.length - 1}</span>}
                </div>
                <Truncated text={row.kinds.join(", ")} />
                <div role="cell" className={styles.stateCell}>
                  <StateChip state={st} />
                  {busy && <span className="muted"> saving…</span>}
                  {error && (
                    <span role="alert" className={`form-error ${styles.rowError}`} title={error}>
                      {error}
                    </span>
                  )}
                </div>
                <div role="cell" title={st.expires_at ?? undefined}>
                  {timeLeft(st.expires_at, now)}
                </div>
                <Truncated text={st.reason ?? ""} />
                <Truncated text={st.set_by ?? ""} />
                <Truncated text={row.origin} />
                <div role="cell">{row.revision}</div>
                <div role="cell" className={`row-actions ${styles.actions}`}>
                  {isAdmin && (
                    <>
                      <button type="button" disabled={busy} onClick={() => props.onDialog({ ruleId: row.ruleId, ruleName: row.name, mode: "disabled", confidenceMax: null })}>
                        Disable
                      </button>
                      <button
                        type="button"
                        disabled={busy}
                        onClick={() => props.onDialog({ ruleId: row.ruleId, ruleName: row.name, mode: "clipped", confidenceMax: st.confidence_max })}
                      >
                        Clip
                      </button>
                      <button type="button" disabled={busy || st.state === "enabled"} onClick={() => props.onEnable(row.ruleId)}>
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
  );
}

/** A cell cut to its width: the whole text on hover (title) and on keyboard focus (CSS). */
function Truncated({ text, title }: { text: string; title?: string }) {
  if (text === "") return <div role="cell" />;
  return (
    <div role="cell" className={`ellipsis ${styles.truncated}`} title={title ?? text} tabIndex={0}>
      {text}
    </div>
  );
}

function AttackLink({ id, names }: { id: string; names: AttackNames }) {
  const n = names[id];
  if (!n) return <span>{id}</span>;
  return (
    <a href={n.url} target="_blank" rel="noreferrer" title={`${id} ${n.name}`}>
      {id} {n.name}
    </a>
  );
}
