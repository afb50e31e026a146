import { describe, expect, it } from "vitest";
import { Engine } from "../engine/engine";
import { parseRule } from "../rules/parse-rule";
import { validRuleYaml } from "../store/testing/fixtures";
import { EvalPool } from "./eval-pool";
import { INPUT_BYTES } from "./evaluate-stream";
import { applyOp, fromWire, toWire, type WireRule } from "./rule-ops";

function wire(id: string): WireRule {
  const parsed = parseRule(validRuleYaml(id), { source: id });
  if (!parsed.rule) throw new Error(`fixture ${id} does not parse`);
  return toWire(parsed.rule);
}

const uname = { source_kind: "command", source_id: "c1", payload: { command_text: "uname -a" } };

describe("rule ops (the wire form evaluation threads mirror)", () => {
  it("round-trips a rule through its definition: same id, version, pattern and tags", () => {
    const w = wire("R0001");
    const r = fromWire(w);
    expect(r?.ruleId).toBe("R0001");
    const engine = new Engine();
    applyOp(engine, { op: "replace", rules: [w] });
    expect(engine.evaluate(uname).map((t) => [t.rule_id, t.technique_id])).toEqual([["R0001", "T1082"]]);
  });

  it("refuses a definition that does not compile, naming the rule, and leaves the engine as it was", () => {
    const engine = new Engine();
    applyOp(engine, { op: "replace", rules: [wire("R0001")] });
    const stale = { ...wire("R0002"), definition: JSON.stringify({ v: "0/old" }) };
    expect(fromWire(stale)).toBeNull();
    expect(() => applyOp(engine, { op: "replace", rules: [wire("R0003"), stale] })).toThrow(/rule R0002: its definition does not compile \(format "0\/old"\)/);
    expect(() => applyOp(engine, { op: "install", rule: { ...stale, definition: "{not json" } })).toThrow(/rule R0002: .*format "not JSON"/);
    expect(engine.size).toBe(1);
    expect(engine.evaluate(uname).map((t) => t.rule_id)).toEqual(["R0001"]);
  });

  it("refuses a definition of another rule than the one it is sent as", () => {
    const w = { ...wire("R0001"), ruleId: "R0009" };
    expect(fromWire(w)).toBeNull();
    expect(() => applyOp(new Engine(), { op: "install", rule: w })).toThrow(/rule R0009/);
  });

  it("fails an evaluation pool whose thread cannot apply a rule change: the broadcast rejects, naming the rule, never left pending", async () => {
    const fatal: Error[] = [];
    const pool = new EvalPool(1, { minConfidence: 0, jsonl: true, rows: false }, (err) => fatal.push(err), INPUT_BYTES);
    try {
      await pool.broadcast({ op: "replace", rules: [wire("R0001")] });
      const stale = { ...wire("R0002"), definition: JSON.stringify({ v: "0/old" }) };
      await expect(pool.broadcast({ op: "install", rule: stale })).rejects.toThrow(/could not apply a rule change: .*rule R0002: its definition does not compile/);
      expect(fatal.map((e) => e.message)).toEqual([expect.stringMatching(/rule R0002/)]);
      await expect(pool.broadcast({ op: "delete", ruleId: "R0001" })).rejects.toThrow(/rule R0002/);
    } finally {
      await pool.close();
    }
  });
});
