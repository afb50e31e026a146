import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
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

export interface ParsedRuleFile {
  file: RuleFile;
  rule: CompiledRule | null;
  issues: ValidationIssue[];
}

/** One rule file on its own: parseRule with the file's path as source and its stem as the expected rule id. */
export function parseRuleFile(file: RuleFile): ParsedRuleFile {
  const stem = ruleIdFromFileName(path.basename(file.path));
  const result = parseRule(file.text, { source: file.path, ...(stem ? { expectedRuleId: stem } : {}) });
  return { file, rule: result.rule, issues: result.issues };
}

/** Validates a set of rule files together: each on its own, then duplicate rule ids across files. */
export function validateRuleFiles(files: RuleFile[]): LoadedRuleFiles {
  return collectRuleFiles(files.map(parseRuleFile));
}

/** The set check over files parsed one by one (in order): every file's issues, then duplicate rule ids across files. */
export function collectRuleFiles(parsed: readonly ParsedRuleFile[]): LoadedRuleFiles {
  const issues: ValidationIssue[] = [];
  const byId = new Map<string, { rule: CompiledRule; file: RuleFile }[]>();
  for (const { file, rule, issues: fileIssues } of parsed) {
    for (const issue of fileIssues) issues.push(issue);
    if (rule) {
      const list = byId.get(rule.ruleId) ?? [];
      list.push({ rule, file });
      byId.set(rule.ruleId, list);
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
  return validateRuleFiles(await readRuleFiles(dir));
}

/** The rule files directly inside `dir` (non-recursive), sorted by path. */
export async function readRuleFiles(dir: string): Promise<RuleFile[]> {
  return readRuleFileTexts(await listRuleFiles(dir));
}

/** The paths of the rule files directly inside `dir` (non-recursive), sorted. */
export async function listRuleFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const paths: string[] = [];
  for (const e of entries) if (e.isFile() && isRuleFileName(e.name)) paths.push(path.join(dir, e.name));
  return paths.sort((a, b) => (a < b ? -1 : 1));
}

/** Each file's text, in order. */
export function readRuleFileTexts(paths: readonly string[]): RuleFile[] {
  // Synchronous: thousands of small files read one after another cost a tenth of the promise API's round trips.
  return paths.map((p) => ({ path: p, text: readFileSync(p, "utf8") }));
}

/** The rule files at `paths`: with the texts given (same order), or read now when `texts` is null. */
export function ruleFilesAt(paths: readonly string[], texts: readonly string[] | null): RuleFile[] {
  return texts === null ? readRuleFileTexts(paths) : paths.map((p, i) => ({ path: p, text: texts[i] as string }));
}
