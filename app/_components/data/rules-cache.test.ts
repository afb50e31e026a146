import { describe, expect, it } from "vitest";
import type { RuleState } from "../../../lib/state/semantics";
import type { LiveMessage } from "../../_lib/live-message";
import type { RuleRow } from "../../_lib/rule-row";
import { applyLiveToRules, type RulesData } from "./rules-cache";

const ENABLED: RuleState = { state: "enabled", confidence_max: null, expires_at: null, reason: null, set_by: null, set_at: null };
const DISABLED: RuleState = { ...ENABLED, state: "disabled", reason: "noisy", set_by: "ana", set_at: "2026-12-05T10:00:00Z" };

function row(id: string, patch: Partial<RuleRow> = {}): RuleRow {
  return { ruleId: id, name: `name of ${id}`, ruleVersion: 1, emits: [], kinds: ["command"], state: ENABLED, revision: 1, origin: "filesystem", updatedAt: "2026-12-05T09:00:00Z", updatedBy: null, ...patch };
}

const at = "2026-12-05T10:00:00Z";

describe("applyLiveToRules", () => {
  const data: RulesData = { rows: [row("R1"), row("R2")], names: { TA0001: { name: "Initial Access", url: "u1" } } };

  it("sets a state in place, replaces a redefined row with its names, drops a deleted one, adds a new one", () => {
    const batch: LiveMessage[] = [
      { kind: "state", seq: 5, ruleId: "R1", state: DISABLED, autoRevert: false, actor: "ana", at },
      { kind: "definition", seq: 6, ruleId: "R3", row: row("R3", { name: "new" }), description: "d", names: { T1082: { name: "System Information Discovery", url: "u2" } }, actor: "ana", at },
      { kind: "deleted", seq: 7, ruleId: "R2", actor: "ana", at },
    ];
    const out = applyLiveToRules(data, batch);
    expect(out.rows.map((r) => [r.ruleId, r.state.state, r.name])).toEqual([
      ["R1", "disabled", "name of R1"],
      ["R3", "enabled", "new"],
    ]);
    expect(Object.keys(out.names).sort()).toEqual(["T1082", "TA0001"]);
    expect(data.rows[0]?.state).toEqual(ENABLED);
  });

  it("applies the messages of a batch in order (the last state of a rule wins) and ignores unknown rules' states", () => {
    const batch: LiveMessage[] = [
      { kind: "state", seq: 5, ruleId: "R1", state: DISABLED, autoRevert: false, actor: "ana", at },
      { kind: "state", seq: 6, ruleId: "R1", state: ENABLED, autoRevert: false, actor: "ana", at },
      { kind: "state", seq: 7, ruleId: "R9", state: DISABLED, autoRevert: false, actor: "ana", at },
    ];
    const out = applyLiveToRules(data, batch);
    expect(out.rows.map((r) => r.state.state)).toEqual(["enabled", "enabled"]);
    expect(out.rows).toHaveLength(2);
  });

  it("returns the same data when no message touches the rows", () => {
    expect(applyLiveToRules(data, [{ kind: "resync", seq: null }])).toBe(data);
  });
});
