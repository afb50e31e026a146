import "server-only";
import type { Logger } from "../../lib/logger";
import { LiveHub } from "../../lib/store/live-hub";
import type { ChangeEvent, RuleStore } from "../../lib/store/types";
import type { LiveMessage } from "../_lib/live-message";
import { attackNamesFor, toRuleRow } from "../_lib/rule-row-server";

/** Head of the change feed for pages to resume from, or null when its seqs do not outlive this process (filesystem: a reconnect reloads). */
export async function liveCursor(store: RuleStore): Promise<number | null> {
  return store.durableFeed ? store.headSeq() : null;
}

const HUBS = Symbol.for("ttp.dashboard.live-hubs");
type Holder = { [HUBS]?: WeakMap<RuleStore, LiveHub<Uint8Array>> };
const encoder = new TextEncoder();

/** One SSE frame (`id:` when the change has a seq), encoded once for every tab. */
export function sseFrame(msg: LiveMessage): Uint8Array {
  return encoder.encode(`${msg.seq !== null ? `id: ${msg.seq}\n` : ""}event: change\ndata: ${JSON.stringify(msg)}\n\n`);
}

/** The process's one hub over `store`'s change feed, shared by every open /api/events stream. */
export function liveHub(store: RuleStore, logger: Logger): LiveHub<Uint8Array> {
  const holder = globalThis as Holder;
  const hubs = (holder[HUBS] ??= new WeakMap());
  let hub = hubs.get(store);
  if (!hub) {
    hub = new LiveHub<Uint8Array>({
      store,
      logger,
      encode: async (change: ChangeEvent) => {
        const msg = await toLiveMessage(store, change);
        return msg ? sseFrame(msg) : null;
      },
    });
    hubs.set(store, hub);
  }
  return hub;
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
