import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { ValidationIssue } from "../errors";
import { parseRule } from "./parse-rule";
import { isRuleFileName, ruleIdFromFileName } from "./rule-file-name";
import type { CompiledRule } from "./types";

export { isRuleFileName, ruleIdFromFileName } from "./rule-file-name";

export interface RuleFile {
  path: string;
  text: string;
}

export interface LoadedRuleFiles {
  /** Valid rules, sorted by rule id; a duplicated id keeps neither copy. */
  rules: CompiledRule[];
  /** Text and path of each valid rule, keyed by rule id. */
  files: Map<string, RuleFile>;
  issues: ValidationIssue[];
}

/** Validates a set of rule files together: each on its own, then duplicate rule ids across files. */
export function validateRuleFiles(files: RuleFile[]): LoadedRuleFiles {
  const issues: ValidationIssue[] = [];
  const byId = new Map<string, { rule: CompiledRule; file: RuleFile }[]>();
  for (const file of files) {
    const base = path.basename(file.path);
    const stem = ruleIdFromFileName(base);
    const result = parseRule(file.text, { source: file.path, ...(stem ? { expectedRuleId: stem } : {}) });
    issues.push(...result.issues);
    if (result.rule) {
      const list = byId.get(result.rule.ruleId) ?? [];
      list.push({ rule: result.rule, file });
      byId.set(result.rule.ruleId, list);
    }
  }
  const rules: CompiledRule[] = [];
  const kept = new Map<string, RuleFile>();
  for (const [ruleId, list] of byId) {
    const first = list[0];
    if (list.length > 1 || !first) {
      for (const { file } of list) {
        issues.push({
          source: file.path,
          path: ["rule_id"],
          line: 1,
          column: 1,
          message: `duplicate rule_id "${ruleId}" (also in ${list.filter((x) => x.file !== file).map((x) => x.file.path).join(", ")})`,
          severity: "error",
        });
      }
      continue;
    }
    rules.push(first.rule);
    kept.set(ruleId, first.file);
  }
  rules.sort((a, b) => (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0));
  return { rules, files: kept, issues };
}

/** Reads every rule file directly inside `dir` (non-recursive), validated as a set. */
export async function loadRulesDir(dir: string): Promise<LoadedRuleFiles> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: RuleFile[] = [];
  for (const e of entries) {
    if (!e.isFile() || !isRuleFileName(e.name)) continue;
    const p = path.join(dir, e.name);
    files.push({ path: p, text: await readFile(p, "utf8") });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return validateRuleFiles(files);
}
