import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { isCollection, parseAllDocuments } from "yaml";
import { generatedRuleYamls, prng } from "../../bench/corpus";
import { parseRule } from "./parse-rule";
import { QUICK_MAX_CHARS, QUICK_MAX_DEPTH, quickDocumentValue } from "./yaml-quick";

const ROOT = path.resolve(__dirname, "../..");
const files = (dir: string): string[] =>
  readdirSync(path.join(ROOT, dir))
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => readFileSync(path.join(ROOT, dir, f), "utf8"));
const REPO_RULES = [...files("rules/ttp"), ...files("bench/fixtures/command-rules")];
const GENERATED = generatedRuleYamls(300);

/** Order-, type- and -0-exact description of a value (toEqual ignores key order). */
function describeValue(v: unknown): string {
  if (v === null || typeof v !== "object") return typeof v === "number" && Object.is(v, -0) ? "-0" : `${typeof v}:${String(v)}:${JSON.stringify(v)}`;
  if (Array.isArray(v)) return `[${v.map(describeValue).join(",")}]`;
  const proto = Object.getPrototypeOf(v) === Object.prototype ? "" : "!proto";
  return `{${proto}${Object.keys(v).map((k) => `${JSON.stringify(k)}:${describeValue((v as Record<string, unknown>)[k])}`).join(",")}}`;
}

/**
 * quickDocumentValue against the `yaml` package's Composer on one text: when taken, the Composer
 * finds exactly one document without errors, the same value, and the same start for every
 * `tests:` example. Returns whether it was taken.
 */
function agrees(text: string): boolean {
  const quick = quickDocumentValue(text);
  if (quick === null) return false;
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  expect(Array.isArray(docs) ? docs.length : 0, text).toBe(1);
  const doc = (docs as Exclude<typeof docs, { empty: true }>)[0]!;
  expect(doc.errors.map((e) => e.message), text).toEqual([]);
  expect(describeValue(quick.value), text).toBe(describeValue(doc.toJS({ maxAliasCount: 100 })));
  const tests = (quick.value as { tests?: unknown }).tests;
  if (Array.isArray(tests)) {
    tests.forEach((t, i) => {
      const node = doc.getIn(["tests", i], true);
      if (isCollection(node)) expect(quick.startOf(t), text).toBe(node.range?.[0]);
    });
  }
  return true;
}

describe("quickDocumentValue (a rule document's value read with js-yaml)", () => {
  it("gives the Composer's value for every rule file of the repository and generated rules, and takes all of them", () => {
    for (const text of [...REPO_RULES, ...GENERATED]) expect(agrees(text), text).toBe(true);
  });

  it("agrees with the Composer on 20,000 random edits of rule files (taken only when the Composer finds no error and the same value)", () => {
    const rnd = prng(20261206);
    const pieces = [" ", "  ", "\t", ":", ": ", "-", "- ", "#", " #", "'", '"', "[", "]", "{", "}", ",", ", ", "\n", "\n  ", "\n    ", "&a ", "*a", "!!str ", "!", "!<x> ", "|", "|-", ">", ">+", "|2", "? ", "%", "@", "`", "~", "null", "Null", "true", "False", "0x1F", "0o7", "0b1", "1_0", "1e3", ".5", "1.", "-0", "+1", ".inf", ".NaN", "x", "9", "\\", "\\u00e9", "\\x41", "\\/", "''", "<<", "__proto__", "toString", "---", "...", "\r\n", "\r", "é", "\u2028", "\uFEFF"];
    const bases = [...REPO_RULES.slice(0, 40), ...GENERATED.slice(0, 40)];
    let taken = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = bases[Math.floor(rnd() * bases.length)] as string;
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rnd() * (text.length + 1));
        const kind = rnd();
        const piece = pieces[Math.floor(rnd() * pieces.length)] as string;
        if (kind < 0.4) text = text.slice(0, at) + piece + text.slice(at);
        else if (kind < 0.7) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rnd() * 3));
        else text = text.slice(0, at) + piece + text.slice(at + piece.length);
      }
      if (agrees(text)) taken++;
    }
    // Most edits leave a plain document (an edit inside a scalar, say): the comparison is not vacuous.
    expect(taken).toBeGreaterThan(3_000);
  });

  it("leaves to the yaml package whatever is not plain", () => {
    const base = "rule_id: R1 # a comment\nname: n\nlist: [a, b]\nmap:\n  k: 1\ntext: >-\n  folded\n  lines\n";
    expect(quickDocumentValue(base)?.value).toEqual({ rule_id: "R1", name: "n", list: ["a", "b"], map: { k: 1 }, text: "folded lines" });
    const notQuick = [
      "a: &x 1\nb: *x\n",
      "a: &x 1\n",
      "a: !!str 1\n",
      "a: !<tag:ttp-rule-console,2026:yaml-core> 1\n",
      "a: ! 1\n",
      "a: 1\n---\nb: 2\n",
      "%YAML 1.1\n---\na: yes\n",
      "---# c\na: 1\n",
      "a: 1\na: 2\n",
      "__proto__: 1\n",
      "constructor: 1\n",
      "<<: 1\n",
      "a:\n\tb: 1\n",
      "a: 1 #\tx\n",
      "? a\n: 1\n",
      "a: {? b: 1}\n",
      "a: b: c\n",
      "a: [x,\n  y]\n",
      "a: 'x\n  y'\n",
      "a: x\n  y\n",
      "1: a\n",
      "null: a\n",
      "~: a\n",
      "true: a\n",
      "[a, b]: c\n",
      "{a: 1}: c\n",
      "a: 'x'# c\n",
      "a: [x]#c\n",
      "a: 'unterminated\n",
      "a: b\rc: d\n",
      "a: 1\n\uFEFFb: 2\n",
      `${"k".repeat(129)}: 1\n`,
      `a: ${"[".repeat(QUICK_MAX_DEPTH + 1)}${"]".repeat(QUICK_MAX_DEPTH + 1)}\n`,
      `a: [${"1, ".repeat(6_000)}1]\n`,
      `a: '${"x".repeat(QUICK_MAX_CHARS)}'\n`,
      "- a\n- b\n",
      "just a scalar\n",
      "",
    ];
    for (const text of notQuick) expect(quickDocumentValue(text), text).toBeNull();
    // Hostile nesting is refused (js-yaml's maxDepth), never a stack overflow: 100,000 brackets.
    expect(quickDocumentValue(`a: ${"[".repeat(100_000)}`)).toBeNull();
  });

  it("gives parseRule the same result with and without it (rules, issues, positions)", () => {
    const bases = [...REPO_RULES, ...GENERATED.slice(0, 100)];
    // Broken on purpose too: the fast path must give way to the same issues the yaml package reports.
    const broken = bases.slice(0, 30).map((t) => t.replace(/confidence: [0-9.]+/, "confidence: 7").replace(/expect: \[T\d+/, "expect: [T0001"));
    for (const text of [...bases, ...broken]) {
      const a = parseRule(text, { source: "x.yaml" });
      // A tab in a comment: the same document to the yaml package, not one yaml-quick reads.
      const slow = `${text}#\tslow\n`;
      expect(quickDocumentValue(slow)).toBeNull();
      const composed = parseRule(slow, { source: "x.yaml" });
      expect(composed.issues).toEqual(a.issues);
      expect(composed.rule === null).toBe(a.rule === null);
      if (a.rule && composed.rule) {
        expect({ ...composed.rule, yamlText: "", matcher: null, appliesTo: [...composed.rule.appliesTo] }).toEqual({ ...a.rule, yamlText: "", matcher: null, appliesTo: [...a.rule.appliesTo] });
      }
    }
  });
});
