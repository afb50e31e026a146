import { strToU8, unzipSync, zipSync, type Zippable } from "fflate";
import { TtpError, type ValidationIssue } from "../errors";
import { MAX_RULE_BYTES } from "./parse-rule";
import { isRuleFileName, validateRuleFiles, type LoadedRuleFiles, type RuleFile } from "./rule-files";

/** Largest rule-pack upload (the zip itself). */
export const MAX_PACK_BYTES = 10 * 1024 * 1024;
/** Entries of any kind a pack may hold (files, folders, ignored junk). */
export const MAX_PACK_ENTRIES = 20_000;
/** Total unpacked size of the rule files: bounds what a small, highly compressed zip can cost. */
export const MAX_PACK_UNPACKED_BYTES = 64 * 1024 * 1024;

/** Where problems about the archive as a whole are reported. */
export const PACK_SOURCE = "(zip)";

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

export interface RulePackEntries {
  /** Rule files by their path inside the archive (folders kept, `\` turned into `/`). */
  files: RuleFile[];
  /** Entries that are not rule files: folders, `__MACOSX/`, dotfiles, README.md… (not errors). */
  ignored: string[];
  /** Problems with the archive or its entries; any error means nothing may be imported. */
  issues: ValidationIssue[];
}

type EntryKind = "unsafe" | "folder" | "ignored" | "rule";

/** What an entry name is: unsafe (absolute or `..`), a folder, junk to ignore, or a rule file. */
export function classifyEntry(name: string): EntryKind {
  const norm = name.replace(/\\/g, "/");
  if (norm.startsWith("/") || /^[A-Za-z]:/.test(norm) || norm.includes("\0")) return "unsafe";
  const segments = norm.split("/");
  if (segments.some((s) => s === "..")) return "unsafe";
  if (norm.endsWith("/")) return "folder";
  if (segments[0] === "__MACOSX" || segments.some((s) => s.startsWith(".") && s !== ".")) return "ignored";
  return isRuleFileName(segments[segments.length - 1] ?? "") ? "rule" : "ignored";
}

function issue(source: string, message: string): ValidationIssue {
  return { source, path: [], line: 1, column: 1, message, severity: "error" };
}

/**
 * Reads a rule-pack zip without extracting anything to disk. Rule files (any folder depth, name
 * `[A-Za-z0-9_]+.ya?ml`) are decoded as UTF-8; absolute paths and `..` are refused; folders,
 * `__MACOSX/` and dotfiles are ignored. Pure; never throws for bad input.
 */
export function readRulePackZip(bytes: Uint8Array): RulePackEntries {
  const out: RulePackEntries = { files: [], ignored: [], issues: [] };
  if (bytes.length > MAX_PACK_BYTES) {
    out.issues.push(issue(PACK_SOURCE, `the archive is larger than ${MAX_PACK_BYTES / 1024 / 1024} MiB`));
    return out;
  }
  const seen = new Set<string>();
  let entries = 0;
  let unpacked = 0;
  let tooMany = false;
  let tooBig = false;
  let raw: Record<string, Uint8Array>;
  try {
    raw = unzipSync(bytes, {
      filter: (f) => {
        entries++;
        if (entries > MAX_PACK_ENTRIES) {
          tooMany = true;
          return false;
        }
        const name = f.name;
        const kind = classifyEntry(name);
        if (kind === "unsafe") {
          out.issues.push(issue(name, "unsafe path in the archive: absolute paths and '..' are not allowed"));
          return false;
        }
        if (kind === "folder") return false;
        if (kind === "ignored") {
          out.ignored.push(name);
          return false;
        }
        if (seen.has(name)) {
          out.issues.push(issue(name, "the archive holds this entry twice"));
          return false;
        }
        seen.add(name);
        if (f.compression !== 0 && f.compression !== 8) {
          out.issues.push(issue(name, `unsupported compression method ${f.compression} (re-create the zip with the default "deflate")`));
          return false;
        }
        if (f.originalSize > MAX_RULE_BYTES) {
          out.issues.push(issue(name, `a rule file may be at most ${MAX_RULE_BYTES / 1024 / 1024} MiB`));
          return false;
        }
        unpacked += f.originalSize;
        if (unpacked > MAX_PACK_UNPACKED_BYTES) {
          tooBig = true;
          return false;
        }
        return true;
      },
    });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    out.issues.push(issue(PACK_SOURCE, `not a readable zip archive (${why})`));
    return out;
  }
  if (tooMany) out.issues.push(issue(PACK_SOURCE, `the archive has more than ${MAX_PACK_ENTRIES} entries`));
  if (tooBig) out.issues.push(issue(PACK_SOURCE, `the rule files unpack to more than ${MAX_PACK_UNPACKED_BYTES / 1024 / 1024} MiB`));
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (const [name, data] of Object.entries(raw)) {
    let text: string;
    try {
      text = decoder.decode(data);
    } catch {
      out.issues.push(issue(name, "not UTF-8 text"));
      continue;
    }
    out.files.push({ path: name.replace(/\\/g, "/"), text });
  }
  out.files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  out.ignored.sort();
  return out;
}

export interface RulePack extends LoadedRuleFiles {
  ignored: string[];
  /** Number of rule files in the archive (valid or not). */
  fileCount: number;
}

/**
 * Reads and validates a pack as a set, with the parser the stores use: each file (line:column,
 * stem = rule_id), then duplicate rule ids across files. Error-severity issues mean: import nothing.
 */
export function loadRulePack(bytes: Uint8Array): RulePack {
  const entries = readRulePackZip(bytes);
  const loaded = validateRuleFiles(entries.files);
  const issues = [...entries.issues, ...loaded.issues];
  if (entries.files.length === 0 && !entries.issues.some((i) => i.source === PACK_SOURCE)) {
    issues.push(issue(PACK_SOURCE, "the archive holds no rule files (<rule_id>.yaml)"));
  }
  return { ...loaded, issues, ignored: entries.ignored, fileCount: entries.files.length };
}
