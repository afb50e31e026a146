import { QueryClient } from "@tanstack/react-query";
import { describe, expect, it } from "vitest";
import type { RuleState } from "../../../lib/state/semantics";
import type { LiveMessage } from "../../_lib/live-message";
import type { RuleRow } from "../../_lib/rule-row";
import { queryKeys } from "./query-keys";
import { applyLiveMessageToRule, type RulePageData } from "./rule-page";

const ENABLED: RuleState = { state: "enabled", confidence_max: null, expires_at: null, reason: null, set_by: null, set_at: null };
const DISABLED: RuleState = { ...ENABLED, state: "disabled", reason: "noisy", set_by: "ana", set_at: "2026-12-05T10:00:00Z" };
const at = "2026-12-05T10:00:00Z";

function page(id: string): RulePageData {
  return {
    ruleId: id,
    name: `name of ${id}`,
    description: "d",
    yamlText: `rule_id: ${id}\n`,
    revision: 3,
    ruleVersion: 1,
    origin: "filesystem",
    sourcePath: null,
    updatedAt: at,
    updatedBy: null,
    state: ENABLED,
    appliesTo: ["command"],
    match: { type: "pattern", pattern: "x" },
    emits: [],
    firing: { known: false },
  };
}

/** A client holding R1 and R2 with their (fetched, fresh) histories. */
function seeded(): QueryClient {
  const client = new QueryClient({ defaultOptions: { queries: { staleTime: Infinity } } });
  for (const id of ["R1", "R2"]) {
    client.setQueryData(queryKeys.rule(id), page(id));
    client.setQueryData(queryKeys.history(id), { pages: [], pageParams: [] });
  }
  return client;
}

const stale = (client: QueryClient, key: readonly unknown[]) => client.getQueryState(key)?.isInvalidated ?? null;

describe("applyLiveMessageToRule", () => {
  it("sets a state change in place and marks only that rule's history for a refetch", () => {
    const client = seeded();
    applyLiveMessageToRule(client, { kind: "state", seq: 5, ruleId: "R1", state: DISABLED, autoRevert: false, actor: "ana", at });
    expect(client.getQueryData<RulePageData>(queryKeys.rule("R1"))?.state).toEqual(DISABLED);
    expect(stale(client, queryKeys.rule("R1"))).toBe(false);
    expect(stale(client, queryKeys.history("R1"))).toBe(true);
    expect(stale(client, queryKeys.history("R2"))).toBe(false);
  });

  it("refetches a redefined rule (the message carries no YAML) and empties a deleted one", () => {
    const client = seeded();
    const row = { ruleId: "R1" } as RuleRow;
    applyLiveMessageToRule(client, { kind: "definition", seq: 6, ruleId: "R1", row, description: "d", names: {}, actor: "ana", at });
    expect(stale(client, queryKeys.rule("R1"))).toBe(true);
    expect(client.getQueryData<RulePageData>(queryKeys.rule("R1"))?.revision).toBe(3);
    applyLiveMessageToRule(client, { kind: "deleted", seq: 7, ruleId: "R2", actor: "ana", at });
    expect(client.getQueryData(queryKeys.rule("R2"))).toBeNull();
    // A rule no page has loaded stays out of the cache.
    applyLiveMessageToRule(client, { kind: "deleted", seq: 8, ruleId: "R9", actor: "ana", at });
    expect(client.getQueryState(queryKeys.rule("R9"))).toBeUndefined();
  });

  it("a resync refetches every rule and history", () => {
    const client = seeded();
    const resync: LiveMessage = { kind: "resync", seq: null };
    applyLiveMessageToRule(client, resync);
    for (const id of ["R1", "R2"]) {
      expect(stale(client, queryKeys.rule(id))).toBe(true);
      expect(stale(client, queryKeys.history(id))).toBe(true);
    }
  });
});
