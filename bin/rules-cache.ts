import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ValidationIssue } from "../lib/errors";
import type { RuleFile } from "../lib/rules/rule-files";
import type { WireRule } from "../lib/worker/rule-ops";

// Set by bin/cli-bundle.cjs at build time (esbuild `define`), a new value per build; absent when
// the CLI runs from source (tsx), and then nothing is cached.
declare const __TTP_BUILD_ID__: string | undefined;

/** Validation results kept per rule set: at most this many files, the least recently used dropped. */
const MAX_ENTRIES = 16;
const FORMAT = 1;

/** A rule directory's validation outcome: its valid rules as plain data and every issue, in order. */
export interface ValidatedRules {
  rules: WireRule[];
  issues: ValidationIssue[];
}

/**
 * The validated rules of a rule set as `ttp eval` last found them, beside the CLI bundle
 * (dist/cli/rules-cache/): parsing, schema checks and every rule's `tests:` cost ≈ 0.2 s of each
 * eval's start-up for the sample pack's 41 files, spent again on every run of the same files.
 * The key is a SHA-256 of the bundle's build id and every file's path and text, so an edited,
 * added, removed or renamed file — or a rebuilt CLI — misses. Anything wrong with the cache (a
 * read-only directory, a damaged file) only means the files are validated as without it.
 */
export class RulesCache {
  private constructor(
    private readonly dir: string,
    private readonly file: string,
  ) {}

  /** The cache entry for these files, or null when the CLI runs from source. */
  static for(files: readonly RuleFile[]): RulesCache | null {
    const build = typeof __TTP_BUILD_ID__ === "string" ? __TTP_BUILD_ID__ : null;
    if (build === null) return null;
    const h = createHash("sha256");
    h.update(`ttp-rules-cache ${FORMAT} ${build}\0`);
    for (const f of files) h.update(`${f.path}\0${f.text}\0`);
    const dir = path.join(__dirname, "rules-cache");
    return new RulesCache(dir, path.join(dir, `${h.digest("hex")}.json`));
  }

  get(): ValidatedRules | null {
    let text: string;
    try {
      text = readFileSync(this.file, "utf8");
    } catch {
      return null;
    }
    let v: Partial<ValidatedRules> & { format?: unknown };
    try {
      v = JSON.parse(text) as typeof v;
    } catch {
      return null;
    }
    if (v === null || v.format !== FORMAT || !Array.isArray(v.rules) || !Array.isArray(v.issues)) return null;
    try {
      const now = new Date();
      utimesSync(this.file, now, now);
    } catch {
      // Only the pruning order suffers.
    }
    return { rules: v.rules, issues: v.issues };
  }

  put(value: ValidatedRules): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ format: FORMAT, ...value }));
      renameSync(tmp, this.file);
      this.prune();
    } catch {
      // Not writable: the next run validates again.
    }
  }

  private prune(): void {
    const entries = readdirSync(this.dir)
      .filter((n) => n.endsWith(".json"))
      .map((n) => {
        const p = path.join(this.dir, n);
        return { p, at: statSync(p).mtimeMs };
      })
      .sort((a, b) => b.at - a.at);
    for (const e of entries.slice(MAX_ENTRIES)) unlinkSync(e.p);
  }
}
