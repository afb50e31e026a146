// Kept apart from rule-files.ts so that the unzip thread can use it without loading the parser (yaml, re2).
const RULE_FILE = /^([A-Za-z0-9_]+)\.ya?ml$/;

/** A rule file name fully matches `[A-Za-z0-9_]+\.ya?ml`; anything else is ignored silently. */
export function isRuleFileName(name: string): boolean {
  return RULE_FILE.test(name);
}

/** The file stem (which must equal rule_id), or null for a name that is not a rule file. */
export function ruleIdFromFileName(name: string): string | null {
  return RULE_FILE.exec(name)?.[1] ?? null;
}
