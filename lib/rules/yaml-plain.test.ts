import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { Composer, Lexer, Parser, type CST } from "yaml";
import { generatedRuleYamls, prng } from "../../bench/corpus";
import { parseRule } from "./parse-rule";
import { plainDocumentValue } from "./yaml-plain";

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

function cstOf(text: string): CST.Token[] {
  const parser = new Parser();
  const out: CST.Token[] = [];
  for (const tok of new Lexer().lex(text)) for (const t of parser.next(tok)) out.push(t);
  for (const t of parser.end()) out.push(t);
  return out;
}

/**
 * plainDocumentValue against the package's Composer on one text: when taken, the Composer finds
 * exactly one document without errors and the same value. Returns whether it was taken.
 */
function agrees(text: string): boolean {
  const cst = cstOf(text);
  const plain = plainDocumentValue(cst);
  if (plain === null) return false;
  const docs = Array.from(new Composer({ prettyErrors: false, uniqueKeys: false }).compose(cst));
  expect(docs.length, text).toBe(1);
  const doc = docs[0] as (typeof docs)[number];
  expect(doc.errors.map((e) => e.message), text).toEqual([]);
  expect(describeValue(plain.value), text).toBe(describeValue(doc.toJS({ maxAliasCount: 100 })));
  return true;
}

describe("plainDocumentValue (a rule document's value without the Composer)", () => {
  it("gives the Composer's value for every rule file of the repository and generated rules, and takes nearly all of them", () => {
    let taken = 0;
    for (const text of [...REPO_RULES, ...GENERATED]) if (agrees(text)) taken++;
    // The sample pack's rules carry comments inside the document in a few places; the rest are plain.
    expect(taken).toBeGreaterThan(0.9 * (REPO_RULES.length + GENERATED.length));
    for (const text of GENERATED) expect(agrees(text)).toBe(true);
  });

  it("agrees with the Composer on 10,000 random edits of rule files (taken only when the Composer finds no error and the same value)", () => {
    const rnd = prng(20261206);
    const pieces = [" ", "  ", "\t", ":", ": ", "-", "- ", "#", " #", "'", '"', "[", "]", "{", "}", ",", ", ", "\n", "\n  ", "&a ", "*a", "!!str ", "|", ">", "? ", "%", "@", "`", "~", "null", "true", "0x1F", "0o7", "1e3", ".5", "-0", ".inf", "x", "9", "\\", "\\u00e9", "<<", "__proto__", "---", "...", "\r\n", "é"];
    const bases = [...REPO_RULES.slice(0, 40), ...GENERATED.slice(0, 40)];
    let taken = 0;
    for (let i = 0; i < 10_000; i++) {
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
    expect(taken).toBeGreaterThan(1_500);
  });

  it("leaves to the Composer whatever is not plain", () => {
    const base = "rule_id: R1\nname: n\nlist: [a, b]\nmap:\n  k: 1\n";
    expect(plainDocumentValue(cstOf(base))).not.toBeNull();
    const notPlain = [
      "rule_id: R1 # a comment inside\n",
      "a: &x 1\nb: *x\n",
      "a: !!str 1\n",
      "---\na: 1\n",
      "a: 1\n---\nb: 2\n",
      "%YAML 1.2\n---\na: 1\n",
      "a: 1\na: 2\n",
      "__proto__: 1\n",
      "constructor: 1\n",
      "<<: 1\n",
      "a:\n\tb: 1\n",
      "? a\n: 1\n",
      "a: b: c\n",
      "a: [x,\n  y]\n",
      "1: a\n",
      "null: a\n",
      "a: [x, [y]]\n",
      "a: [x, ]\n",
      "a: {k:v}\n",
      "- a\n- b\n",
      "a: 'unterminated\n",
      `${"k".repeat(129)}: 1\n`,
      "\uFEFFa: 1\n",
    ];
    for (const text of notPlain) expect(plainDocumentValue(cstOf(text)), text).toBeNull();
  });

  it("gives parseRule the same result with and without it (rules, issues, positions)", () => {
    for (const text of [...REPO_RULES, ...GENERATED.slice(0, 100)]) {
      const a = parseRule(text, { source: "x.yaml" });
      // A comment inside the document makes it not plain: the composed path, same rule otherwise.
      const composed = parseRule(text.replace(/^(rule_id: .*)$/m, "$1 # composed"), { source: "x.yaml" });
      expect(composed.issues).toEqual(a.issues);
      expect(composed.rule === null).toBe(a.rule === null);
      if (a.rule && composed.rule) {
        expect({ ...composed.rule, yamlText: "", matcher: null, appliesTo: [...composed.rule.appliesTo] }).toEqual({ ...a.rule, yamlText: "", matcher: null, appliesTo: [...a.rule.appliesTo] });
      }
    }
  });
});
