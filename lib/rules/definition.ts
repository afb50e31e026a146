import RE2 from "re2";
import { defaultState, type RuleState } from "../state/semantics";
import { PATTERN_TRANSLATOR_VERSION } from "./pattern";
import type { CompiledRule, Emit, MatchSpec, PatternMatcher, RuleTestCase } from "./types";

/**
 * A compiled rule as JSON, stored beside its YAML text so that loading thousands of rules does
 * not re-parse YAML (≈ 250 µs a rule with the `yaml` package; this is ≈ 10 µs). Derived data
 * only: the YAML stays the source of truth, and a definition written by another format or
 * pattern-translator version is ignored (the caller recompiles the YAML).
 */
export const DEFINITION_FORMAT = `1/${PATTERN_TRANSLATOR_VERSION}`;

interface DefinitionJson {
  v: string;
  rule_id: string;
  rule_version: number;
  name: string;
  description: string;
  applies_to: string[];
  match: MatchSpec;
  re2: string | null;
  emits: Emit[];
  evidence_fields: string[];
  tests: RuleTestCase[];
}

export function definitionJson(rule: CompiledRule): string {
  const d: DefinitionJson = {
    v: DEFINITION_FORMAT,
    rule_id: rule.ruleId,
    rule_version: rule.ruleVersion,
    name: rule.name,
    description: rule.description,
    applies_to: [...rule.appliesTo],
    match: rule.match,
    re2: rule.matcher?.re2Source ?? null,
    emits: [...rule.emits],
    evidence_fields: [...rule.evidenceFields],
    tests: [...rule.tests],
  };
  return JSON.stringify(d);
}

/** Rebuilds the compiled rule from its stored definition, or null when it is absent or stale. */
export function compileFromDefinition(json: string | null | undefined, yamlText: string, state: RuleState = defaultState()): CompiledRule | null {
  if (!json) return null;
  let d: DefinitionJson;
  try {
    d = JSON.parse(json) as DefinitionJson;
  } catch {
    return null;
  }
  if (d === null || typeof d !== "object" || d.v !== DEFINITION_FORMAT) return null;
  let matcher: PatternMatcher | null = null;
  if (d.match.type === "pattern") {
    if (typeof d.re2 !== "string" || typeof d.match.pattern !== "string") return null;
    const source = d.re2;
    let re: RE2 | null = null;
    matcher = Object.freeze({ source: d.match.pattern, re2Source: source, test: (input: string) => (re ??= new RE2(source)).test(input) });
  }
  return Object.freeze({
    ruleId: d.rule_id,
    ruleVersion: d.rule_version,
    name: d.name,
    description: d.description,
    appliesTo: new Set(d.applies_to) as ReadonlySet<string>,
    match: Object.freeze(d.match.type === "analyzer" ? { ...d.match, params: Object.freeze(d.match.params) } : d.match),
    emits: Object.freeze(d.emits.map((e) => Object.freeze(e))),
    evidenceFields: Object.freeze(d.evidence_fields),
    matcher,
    tests: Object.freeze(d.tests.map((t) => Object.freeze(t))),
    state: Object.freeze({ ...state }),
    yamlText,
  });
}
