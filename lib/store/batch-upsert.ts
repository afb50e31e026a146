import { ValidationError, type ValidationIssue } from "../errors";
import { parseRule } from "../rules/parse-rule";
import type { CompiledRule } from "../rules/types";
import type { RuleUpsert } from "./types";

/**
 * The validation pass of a batch upsert (both backends): each item's rule — the caller's when it
 * was parsed from exactly this text, parsed here otherwise. Throws one ValidationError with the
 * issues of every invalid item and of every duplicate rule id; nothing has been written then.
 */
export function validateUpserts(items: readonly RuleUpsert[]): CompiledRule[] {
  const rules: CompiledRule[] = [];
  const issues: ValidationIssue[] = [];
  const seen = new Map<string, string>();
  for (const item of items) {
    const source = item.sourcePath ?? "(rule)";
    let rule = item.rule && item.rule.yamlText === item.yamlText ? item.rule : undefined;
    if (!rule) {
      const parsed = parseRule(item.yamlText, { source });
      if (!parsed.rule) {
        issues.push(...parsed.issues.filter((i) => i.severity === "error"));
        continue;
      }
      rule = parsed.rule;
    }
    const first = seen.get(rule.ruleId);
    if (first !== undefined) {
      issues.push({ source, path: ["rule_id"], line: 1, column: 1, message: `rule ${rule.ruleId} is also in ${first}`, severity: "error" });
      continue;
    }
    seen.set(rule.ruleId, source);
    rules.push(rule);
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return rules;
}
