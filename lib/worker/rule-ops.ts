import { Engine } from "../engine/engine";
import { compileFromDefinition, definitionJson } from "../rules/definition";
import { parseRule } from "../rules/parse-rule";
import type { CompiledRule } from "../rules/types";
import type { RuleState } from "../state/semantics";

/** A compiled rule as plain data (compiled rules hold RE2 objects, which cannot cross threads). */
export interface WireRule {
  ruleId: string;
  definition: string;
  yaml: string;
  state: RuleState;
}

/** One hot-swap step, replayed on every engine that mirrors the rule set. */
export type RuleOp =
  | { op: "replace"; rules: WireRule[] }
  | { op: "install"; rule: WireRule }
  | { op: "delete"; ruleId: string }
  | { op: "restamp"; ruleId: string; state: RuleState };

export function toWire(rule: CompiledRule): WireRule {
  return { ruleId: rule.ruleId, definition: definitionJson(rule), yaml: rule.yamlText, state: rule.state };
}

/** Rebuilds a compiled rule from its wire form (the stored definition JSON; the YAML as a fallback). */
export function fromWire(w: WireRule): CompiledRule | null {
  const fast = compileFromDefinition(w.definition, w.yaml, w.state);
  if (fast && fast.ruleId === w.ruleId) return fast;
  return parseRule(w.yaml, { source: w.ruleId, state: w.state, runTests: false }).rule ?? null;
}

/** Applies one op to an engine (the mirror in an evaluation thread). */
export function applyOp(engine: Engine, op: RuleOp): void {
  switch (op.op) {
    case "replace": {
      const rules: CompiledRule[] = [];
      for (const w of op.rules) {
        const r = fromWire(w);
        if (r) rules.push(r);
      }
      engine.replaceAll(rules);
      return;
    }
    case "install": {
      const r = fromWire(op.rule);
      if (r) engine.install(r);
      else engine.evict(op.rule.ruleId);
      return;
    }
    case "delete":
      engine.delete(op.ruleId);
      return;
    case "restamp":
      engine.restamp(op.ruleId, op.state);
      return;
  }
}
