"use client";
import { useCallback, useMemo, useRef, useState } from "react";
import type { RuleRow } from "../../_lib/rule-row";

export interface Selection {
  /** Selected rules that still exist. */
  selected: ReadonlySet<string>;
  /** How many of the rows the filters let through are selected. */
  visibleSelected: number;
  allVisibleSelected: boolean;
  /** "Select all matching": every rule the filters let through, not only the rows drawn. */
  toggleAllMatching: () => void;
  /** Shift-click selects or clears the range from the previous click (in the current order). */
  toggleRow: (ruleId: string, checked: boolean, shift: boolean) => void;
  clear: () => void;
  replace: (ids: Iterable<string>) => void;
}

/** The list's row selection; `exists` drops rules deleted meanwhile. */
export function useSelection(visible: readonly RuleRow[], exists: (ruleId: string) => boolean): Selection {
  const [raw, setRaw] = useState<ReadonlySet<string>>(new Set());
  const anchor = useRef<string | null>(null);
  const selected = useMemo(() => pruned(raw, exists), [raw, exists]);
  const visibleSelected = useMemo(() => visible.reduce((n, r) => n + (selected.has(r.ruleId) ? 1 : 0), 0), [visible, selected]);
  const allVisibleSelected = visible.length > 0 && visibleSelected === visible.length;

  const toggleAllMatching = useCallback(() => {
    setRaw((prev) => {
      const next = new Set(prev);
      if (allVisibleSelected) for (const r of visible) next.delete(r.ruleId);
      else for (const r of visible) next.add(r.ruleId);
      return next;
    });
    anchor.current = null;
  }, [allVisibleSelected, visible]);

  const toggleRow = useCallback(
    (ruleId: string, checked: boolean, shift: boolean) => {
      const from = shift && anchor.current !== null ? visible.findIndex((r) => r.ruleId === anchor.current) : -1;
      const to = visible.findIndex((r) => r.ruleId === ruleId);
      setRaw((prev) => {
        const next = new Set(prev);
        const ids = from >= 0 && to >= 0 ? visible.slice(Math.min(from, to), Math.max(from, to) + 1).map((r) => r.ruleId) : [ruleId];
        for (const id of ids) {
          if (checked) next.add(id);
          else next.delete(id);
        }
        return next;
      });
      anchor.current = ruleId;
    },
    [visible],
  );

  const clear = useCallback(() => {
    setRaw(new Set());
    anchor.current = null;
  }, []);
  const replace = useCallback((ids: Iterable<string>) => setRaw(new Set(ids)), []);
  return { selected, visibleSelected, allVisibleSelected, toggleAllMatching, toggleRow, clear, replace };
}

/** The set without the ids `keep` rejects (the same set when nothing goes). */
function pruned(set: ReadonlySet<string>, keep: (id: string) => boolean): ReadonlySet<string> {
  for (const id of set) if (!keep(id)) return new Set([...set].filter(keep));
  return set;
}
