import { Engine } from "../engine/engine";
import { compileFromDefinition, definitionJson } from "../rules/definition";
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

/**
 * Rebuilds a compiled rule from its wire form: the definition JSON toWire wrote, by the same build
 * (no YAML parsing, so an evaluation thread does not load the YAML package, zod's rule schemas or
 * the ATT&CK catalog). Null when the definition does not compile or names another rule.
 */
export function fromWire(w: WireRule): CompiledRule | null {
  const rule = compileFromDefinition(w.definition, w.yaml, w.state);
  return rule !== null && rule.ruleId === w.ruleId ? rule : null;
}

/** The compiled rule of a wire rule; throws (naming the rule) when its definition does not compile. */
function compiled(w: WireRule): CompiledRule {
  const rule = fromWire(w);
  if (rule === null) throw new Error(`rule ${w.ruleId}: its definition does not compile (format ${JSON.stringify(definitionFormatOf(w.definition))})`);
  return rule;
}

function definitionFormatOf(json: string): unknown {
  try {
    return (JSON.parse(json) as { v?: unknown } | null)?.v ?? null;
  } catch {
    return "not JSON";
  }
}

/**
 * Applies one op to an engine (the mirror in an evaluation thread). A rule whose definition does
 * not compile throws before the engine changes: the pool treats that as fatal rather than evaluate
 * without the rule.
 */
export function applyOp(engine: Engine, op: RuleOp): void {
  switch (op.op) {
    case "replace":
      engine.replaceAll(op.rules.map(compiled));
      return;
    case "install":
      engine.install(compiled(op.rule));
      return;
    case "delete":
      engine.delete(op.ruleId);
      return;
    case "restamp":
      engine.restamp(op.ruleId, op.state);
      return;
  }
}
