import type { ValidationIssue } from "../errors";
import { ValidationError } from "../errors";
import type { RuleState } from "../state/rule-state";
import type { CompiledRule } from "./types";

export interface ParseRuleOptions {
  /** File path or rule id used in issue locations. */
  source: string;
  /** When set (a file stem), rule_id must equal it. */
  expectedRuleId?: string;
  /** State to stamp into the compiled rule (default state when absent). */
  state?: RuleState;
  /** Run the rule's `tests:` examples (default true). */
  runTests?: boolean;
}

export interface ParseRuleResult {
  /** Non-null exactly when there is no error-severity issue. */
  rule: CompiledRule | null;
  /** Errors and warnings, all at once, with line:column. */
  issues: ValidationIssue[];
}

/** Parses and validates one rule document (SPEC §1). Pure; never throws for bad input. */
export function parseRule(_yamlText: string, _options: ParseRuleOptions): ParseRuleResult {
  throw new Error("parseRule: being implemented");
}

/** Like parseRule but throws ValidationError when the document has errors. */
export function compileRule(yamlText: string, options: ParseRuleOptions): CompiledRule {
  const { rule, issues } = parseRule(yamlText, options);
  if (!rule) throw new ValidationError(issues);
  return rule;
}
