import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { formatIssue, type ValidationIssue } from "../../lib/errors";
import { isRuleFileName, loadRulesDir, validateRuleFiles, type RuleFile } from "../../lib/rules/rule-files";
import { EXIT, UsageError } from "../cli-support";
import { VALIDATE_USAGE } from "./usage";


/** `ttp validate <path…>`: one `path:line:col: message` per problem; exit 1 when any error. */
export async function runValidate(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, options: {} });
  if (positionals.length === 0) throw new UsageError(`validate needs at least one path: ${VALIDATE_USAGE}`);
  const issues: ValidationIssue[] = [];
  const files: RuleFile[] = [];
  let rulesChecked = 0;
  for (const p of positionals) {
    let st;
    try {
      st = await stat(p);
    } catch {
      issues.push({ source: p, path: [], line: 1, column: 1, message: "no such file or directory", severity: "error" });
      continue;
    }
    if (st.isDirectory()) {
      const loaded = await loadRulesDir(p);
      issues.push(...loaded.issues);
      rulesChecked += loaded.rules.length + new Set(loaded.issues.filter((i) => i.severity === "error").map((i) => i.source)).size;
    } else {
      if (!isRuleFileName(path.basename(p))) {
        issues.push({ source: p, path: [], line: 1, column: 1, message: "not a rule file name: it must fully match [A-Za-z0-9_]+.yaml (or .yml), and the stem must equal rule_id", severity: "error" });
        continue;
      }
      files.push({ path: p, text: await readFile(p, "utf8") });
    }
  }
  if (files.length > 0) {
    const result = validateRuleFiles(files);
    issues.push(...result.issues);
    rulesChecked += files.length;
  }
  issues.sort((a, b) => (a.source === b.source ? a.line - b.line || a.column - b.column : a.source < b.source ? -1 : 1));
  for (const issue of issues) process.stdout.write(`${formatIssue(issue)}\n`);
  const errors = issues.filter((i) => i.severity === "error").length;
  const warnings = issues.length - errors;
  process.stderr.write(`${rulesChecked} rule file(s) checked: ${errors} error(s), ${warnings} warning(s)\n`);
  return errors > 0 ? EXIT.invalid : EXIT.ok;
}
