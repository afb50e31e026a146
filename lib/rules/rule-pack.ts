import { strToU8, zipSync, type Zippable } from "fflate";
import { TtpError } from "../errors";
import { PACK_SOURCE, readRulePackZip as readZip, type PackLimits, type RulePackEntries } from "./pack-zip";
import { MAX_RULE_BYTES } from "./parse-rule";
import { isRuleFileName, validateRuleFiles, type LoadedRuleFiles } from "./rule-files";
import { readRulePackZipOffThread, type OffThreadOptions } from "./unzip-pool";

export { classifyEntry, MAX_PACK_BYTES, MAX_PACK_ENTRIES, MAX_PACK_UNPACKED_BYTES, PACK_SOURCE, type RulePackEntries } from "./pack-zip";

/** What a pack may cost to unpack: the archive limits, and the parser's size limit per rule file. */
export const PACK_LIMITS: PackLimits = { maxFileBytes: MAX_RULE_BYTES };

/** The file name a rule has in exports and in the rules directory. */
export function ruleFileName(ruleId: string): string {
  return `${ruleId}.yaml`;
}

/** A zip of each rule's original YAML text as `<rule_id>.yaml` at the top level. Throws INTERNAL for an id that cannot be a file name. */
export function buildRulePackZip(rules: readonly { ruleId: string; yamlText: string }[], options: { mtime?: Date } = {}): Uint8Array {
  const files: Zippable = {};
  for (const r of rules) {
    const name = ruleFileName(r.ruleId);
    if (!isRuleFileName(name)) throw new TtpError("INTERNAL", `rule id ${JSON.stringify(r.ruleId)} cannot be a rule file name`);
    files[name] = strToU8(r.yamlText);
  }
  return zipSync(files, { level: 6, ...(options.mtime ? { mtime: options.mtime } : {}) });
}

export interface RulePack extends LoadedRuleFiles {
  ignored: string[];
  /** Number of rule files in the archive (valid or not). */
  fileCount: number;
}

/** The pack zip's entries with PACK_LIMITS (pack-zip.ts), on the calling thread. */
export function readRulePackZip(bytes: Uint8Array): RulePackEntries {
  return readZip(bytes, PACK_LIMITS);
}

function validatePack(entries: RulePackEntries): RulePack {
  const loaded = validateRuleFiles(entries.files);
  const issues = [...entries.issues, ...loaded.issues];
  if (entries.files.length === 0 && !entries.issues.some((i) => i.source === PACK_SOURCE)) {
    issues.push({ source: PACK_SOURCE, path: [], line: 1, column: 1, message: "the archive holds no rule files (<rule_id>.yaml)", severity: "error" });
  }
  return { ...loaded, issues, ignored: entries.ignored, fileCount: entries.files.length };
}

/**
 * Reads and validates a pack as a set, with the parser the stores use: each file (line:column,
 * stem = rule_id), then duplicate rule ids across files. Error-severity issues mean: import nothing.
 * Unpacks on the calling thread: for trusted input (tests, the CLI); uploads use loadRulePackOffThread.
 */
export function loadRulePack(bytes: Uint8Array): RulePack {
  return validatePack(readRulePackZip(bytes));
}

/** loadRulePack with the unzip in a thread of its own (unzip-pool.ts); throws BUSY when too many run at once. */
export async function loadRulePackOffThread(bytes: Uint8Array, options?: OffThreadOptions): Promise<RulePack> {
  return validatePack(await readRulePackZipOffThread(bytes, PACK_LIMITS, options));
}
