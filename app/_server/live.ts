import "server-only";
import { DatabaseRuleStore } from "../../lib/store/database-store";
import type { ChangeEvent, RuleStore } from "../../lib/store/types";
import type { LiveMessage } from "../_lib/live-message";
import { attackNamesFor, toRuleRow } from "../_lib/rule-row-server";

/** Head of the change feed for pages to resume from, or null when the backend cannot resume (filesystem). */
export async function liveCursor(store: RuleStore): Promise<number | null> {
  return store instanceof DatabaseRuleStore ? store.headSeq() : null;
}

/** Changes after `fromSeq` (database backends replay the feed; the filesystem backend only streams new ones). */
export function changesFor(store: RuleStore, fromSeq: number | null, signal: AbortSignal): AsyncIterableIterator<ChangeEvent> {
  if (store instanceof DatabaseRuleStore) return store.tail(fromSeq === null ? { signal } : { fromSeq, signal });
  return store.subscribeChanges({ signal });
}

/** What the browser needs of one change (a definition carries the row so the list can redraw it). */
export async function toLiveMessage(store: RuleStore, change: ChangeEvent): Promise<LiveMessage | null> {
  switch (change.kind) {
    case "resync":
      return { kind: "resync", seq: null };
    case "state":
      return { kind: "state", seq: change.seq, ruleId: change.ruleId, state: change.state, autoRevert: change.autoRevert, actor: change.actor, at: change.at };
    case "deleted":
      return { kind: "deleted", seq: change.seq, ruleId: change.ruleId, actor: change.actor, at: change.at };
    case "definition": {
      try {
        const record = await store.getRule(change.ruleId);
        const row = toRuleRow(record);
        return {
          kind: "definition",
          seq: change.seq,
          ruleId: change.ruleId,
          row,
          description: record.rule.description,
          names: attackNamesFor([row]),
          actor: change.actor,
          at: change.at,
        };
      } catch {
        // Deleted again before we read it: the following "deleted" change says so.
        return null;
      }
    }
  }
}
