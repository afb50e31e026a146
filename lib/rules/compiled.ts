import type { RuleState } from "../state/semantics";
import type { CompiledRule } from "./types";

/** A new immutable record with `state` stamped in (compiled rules are never mutated). */
export function withState(rule: CompiledRule, state: RuleState): CompiledRule {
  return Object.freeze({ ...rule, state: Object.freeze({ ...state }) });
}
