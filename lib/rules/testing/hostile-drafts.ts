// Worst-case single rule drafts (≤ 1 MiB unless the name says "over"), for the draft pool's
// tests, the flood spec and `npm run bench -- hostile`. Deterministic; built on demand.
import { MAX_RULE_BYTES } from "../parse-rule";

export interface HostileDraft {
  name: string;
  /** What it attacks, one line. */
  what: string;
  yaml: () => string;
}

const HEAD = (ruleId: string): string =>
  [`rule_id: ${ruleId}`, "rule_version: 1", "name: hostile_draft", "applies_to: [command]"].join("\n") + "\n";
const EMITS = "emits:\n  - technique_id: T1059\n    tactic: TA0002\n    confidence: 0.5\n";

function repeatTo(unit: string, bytes: number): string {
  return unit.repeat(Math.max(1, Math.floor(bytes / unit.length)));
}

/** Single-quoted YAML scalar. */
const q = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** A 4096-character pattern whose RE2 program is as large as the limits let it be. */
export function pathologicalPattern(variant: number): string {
  const units = [
    "(?:[\\s\\S]{1000}){4}",
    "(?:[^a]{1000}x|[^b]{1000}y)",
    "(?:a|b|c|d|e|f|g|h)*a(?:a|b){30}",
    "(?:\\w+\\s+\\d{1,1000})",
    "(?:[\\x{100}-\\x{10FFFF}]{100}){10}",
  ];
  const unit = units[variant % units.length] as string;
  let p = "";
  while (p.length + unit.length + 1 <= 4096) p += (p ? "|" : "") + unit;
  return p;
}

/** `n` alternatives of a counted repetition; RE2 compiles it in time growing with n² (≈ 1.5 s for 16). */
export function countedPattern(n: number): string {
  return Array.from({ length: n }, () => "(?:\\w+\\s+\\d{1,1000})").join("|");
}

/** 32 nested groups, each repeated: the deepest nesting the pattern limit allows. */
export function nestedPattern(depth = 32): string {
  let p = "a";
  for (let i = 0; i < depth; i++) p = `(?:${p}|b${i % 10}){1,2}`;
  return p;
}

function patternRule(pattern: string, extra = ""): string {
  return `${HEAD("R9900")}match:\n  pattern: ${q(pattern)}\n${EMITS}${extra}`;
}

function analyzerRule(patterns: string[], extra = ""): string {
  return `${HEAD("R9901")}match:\n  kind: lifter:behavioral_data_destruction\n  patterns:\n${patterns.map((p) => `    - ${q(p)}`).join("\n")}\n${EMITS}${extra}`;
}

/** `tests:` examples with `text` as command_text, as many as fit under 1 MiB. */
function examples(text: string, count = Number.POSITIVE_INFINITY, budget = MAX_RULE_BYTES - 8192): string {
  const one = `  - event:\n      payload:\n        command_text: ${q(text)}\n    expect: []\n`;
  const n = Math.min(count, Math.floor(budget / Buffer.byteLength(one, "utf8")));
  return `tests:\n${one.repeat(Math.max(1, n))}`;
}

export const HOSTILE_DRAFTS: readonly HostileDraft[] = [
  { name: "flow-depth-64", what: "flow nesting exactly at the yaml depth limit", yaml: () => `${HEAD("R9902")}tests: ${"[".repeat(62)}${"]".repeat(62)}\n` },
  { name: "flow-depth-65-over", what: "flow nesting one over the limit (refused by the lexer pass)", yaml: () => `${HEAD("R9902")}tests: ${"[".repeat(65)}${"]".repeat(65)}\n` },
  { name: "flow-brackets-1MiB", what: "1 MiB of '[' (the old process killer)", yaml: () => "[".repeat(MAX_RULE_BYTES - 16) },
  {
    name: "block-depth-64",
    what: "block nesting (indentation) at the limit, repeated to 1 MiB",
    yaml: () => {
      let nest = "";
      for (let i = 0; i < 62; i++) nest += `${"  ".repeat(i)}k${i}:\n`;
      nest += `${"  ".repeat(62)}v: 1\n`;
      const blocks: string[] = [];
      let size = 0;
      for (let b = 0; size < MAX_RULE_BYTES - 200_000; b++) {
        const block = nest.replace(/^k0:/m, `k0_${b}:`);
        blocks.push(block);
        size += block.length;
      }
      return `${HEAD("R9903")}match:\n  pattern: a\n${EMITS}description: x\nextra:\n${blocks.map((b) => b.replace(/^/gm, "  ")).join("")}`;
    },
  },
  { name: "flow-many-small-1MiB", what: "1 MiB of small flow collections [[[a]]], …", yaml: () => `${HEAD("R9904")}x: [${repeatTo("[[[a]]],", MAX_RULE_BYTES - 200)}0]\n` },
  { name: "pattern-4096-repeat", what: "4096-char pattern of (?:[\\s\\S]{1000}){4} alternatives", yaml: () => patternRule(pathologicalPattern(0)) },
  { name: "pattern-4096-classes", what: "4096-char pattern of negated classes × 1000", yaml: () => patternRule(pathologicalPattern(1)) },
  { name: "pattern-4096-dfa-blowup", what: "4096-char pattern of (a|b)*a(a|b){30} (exponential DFA)", yaml: () => patternRule(pathologicalPattern(2)) },
  { name: "pattern-4096-unicode", what: "4096-char pattern of wide unicode classes × 1000", yaml: () => patternRule(pathologicalPattern(4)) },
  { name: "pattern-counted-16", what: "16 alternatives of (?:\\w+\\s+\\d{1,1000}) (336 chars): RE2 compile time grows with the square of counted repeats", yaml: () => patternRule(countedPattern(16)) },
  { name: "pattern-counted-4096", what: "4096-char pattern of (?:\\w+\\s+\\d{1,1000}) alternatives", yaml: () => patternRule(pathologicalPattern(3)) },
  { name: "pattern-nested-32", what: "groups nested 32 deep, each repeated", yaml: () => patternRule(nestedPattern(32)) },
  { name: "pattern-nested-33-over", what: "groups nested 33 deep (refused)", yaml: () => patternRule(nestedPattern(33)) },
  {
    name: "analyzer-256-patterns",
    what: "an analyzer list of 256 pathological 4096-char patterns (1 MiB)",
    yaml: () => analyzerRule(Array.from({ length: 250 }, (_, i) => pathologicalPattern(i))),
  },
  {
    name: "analyzer-257-patterns-over",
    what: "257 patterns (one over the list limit), 1 MiB",
    yaml: () => analyzerRule(Array.from({ length: 257 }, (_, i) => pathologicalPattern(i).slice(0, 3900).replace(/\|[^|]*$/, ""))),
  },
  {
    name: "analyzer-many-lists",
    what: "analyzer with many unknown parameters each a 256-pattern list",
    yaml: () => {
      const list = Array.from({ length: 256 }, (_, i) => `    - ${q(`(?:x${i}){1,1000}`)}`).join("\n");
      let params = "";
      for (let i = 0; Buffer.byteLength(params) < MAX_RULE_BYTES - 40_000; i++) params += `  p${i}:\n${list}\n`;
      return `${HEAD("R9905")}match:\n  kind: lifter:behavioral_data_destruction\n  patterns: ['a']\n${params}${EMITS}`;
    },
  },
  {
    name: "tests-1MiB-dfa-blowup",
    what: "(a|b)*a(a|b){30}-style pattern and one ~1 MiB tests: example (NFA fallback)",
    yaml: () => patternRule(pathologicalPattern(2), examples(repeatTo("ab", MAX_RULE_BYTES - 16_384), 1)),
  },
  {
    name: "tests-1MiB-repeat",
    what: "(?:[\\s\\S]{1000}){4} pattern and one ~1 MiB tests: example",
    yaml: () => patternRule(pathologicalPattern(0), examples(repeatTo("x", MAX_RULE_BYTES - 16_384), 1)),
  },
  {
    name: "tests-many-examples",
    what: "1 MiB of small tests: examples (≈ 12,000) against a pathological pattern",
    yaml: () => patternRule(pathologicalPattern(2), examples("abababababababab ls -la /tmp")),
  },
  {
    name: "tests-examples-900KiB",
    what: "900 KiB of small tests: examples (fits a server action's 1 MB body once JSON-escaped)",
    yaml: () => patternRule(pathologicalPattern(2), examples("abababababababab ls -la /tmp", Number.POSITIVE_INFINITY, 900 * 1024)),
  },
  {
    name: "tests-analyzer-256",
    what: "250 pathological analyzer patterns and a 64 KiB example against them",
    yaml: () => analyzerRule(Array.from({ length: 200 }, (_, i) => pathologicalPattern(i)), examples(repeatTo("ab", 64 * 1024), 1)),
  },
  { name: "description-1MiB", what: "a 1 MiB description", yaml: () => `${HEAD("R9906")}description: ${q("d".repeat(MAX_RULE_BYTES - 400))}\nmatch:\n  pattern: a\n${EMITS}` },
  {
    name: "alias-bomb",
    what: "YAML anchors/aliases billion-laughs",
    yaml: () => {
      const lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
      for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]`);
      return `${HEAD("R9907")}match:\n  pattern: a\n${EMITS}${lines.join("\n")}\ntests: *a9\n`;
    },
  },
  {
    name: "alias-many",
    what: "1 MiB of aliases to one anchor",
    yaml: () => `${HEAD("R9908")}match:\n  pattern: a\n${EMITS}base: &b {k: v}\nx: [${repeatTo("*b, ", MAX_RULE_BYTES - 400)}*b]\n`,
  },
  { name: "many-keys", what: "1 MiB of distinct top-level keys (≈ 60,000)", yaml: () => `${HEAD("R9909")}match:\n  pattern: a\n${EMITS}` + Array.from({ length: 70_000 }, (_, i) => `k${i}: ${i}`).join("\n").slice(0, MAX_RULE_BYTES - 400).replace(/\n[^\n]*$/, "\n") },
  {
    name: "many-keys-payload",
    what: "one tests: example whose payload has ≈ 50,000 keys",
    yaml: () => {
      const keys = Array.from({ length: 70_000 }, (_, i) => `          f${i}: v`).join("\n");
      return `${HEAD("R9910")}match:\n  pattern: a\n${EMITS}tests:\n  - event:\n      payload:\n${keys.slice(0, MAX_RULE_BYTES - 400).replace(/\n[^\n]*$/, "")}\n    expect: []\n`;
    },
  },
  {
    name: "many-errors",
    what: "1 MiB of emits entries each with errors (issue list size)",
    yaml: () => `${HEAD("R9911")}match:\n  pattern: a\nemits:\n${repeatTo("  - {technique_id: X, tactic: Y, confidence: 7, z: 1}\n", MAX_RULE_BYTES - 400)}`,
  },
  { name: "long-lines-comment", what: "one 1 MiB comment line", yaml: () => `${HEAD("R9912")}match:\n  pattern: a\n${EMITS}# ${"c".repeat(MAX_RULE_BYTES - 400)}\n` },
  { name: "over-1MiB", what: "1 MiB + 1 byte (refused by size)", yaml: () => "#".repeat(MAX_RULE_BYTES + 1) },
];
