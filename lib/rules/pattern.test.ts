import { describe, expect, it } from "vitest";
import { compilePattern, translatePythonPattern } from "./pattern";

function matcher(p: string) {
  const r = compilePattern(p);
  if (!r.ok) throw new Error(r.problems.map((x) => x.message).join("; "));
  return r.matcher;
}

function problems(p: string): string[] {
  const r = translatePythonPattern(p);
  return r.ok ? [] : r.problems.map((x) => x.message);
}

describe("Python pattern translation", () => {
  it("accepts leading global flags, alone and combined", () => {
    expect(matcher("(?i)uname").test("UNAME -a")).toBe(true);
    expect(matcher("(?is)a.b").test("A\nB")).toBe(true);
    expect(matcher("(?i)(?s)a.b").test("A\nB")).toBe(true);
    expect(matcher("a.b").test("a\nb")).toBe(false);
    expect(matcher("(?m)^ls$").test("cd /\nls\npwd")).toBe(true);
    expect(matcher("^ls$").test("cd /\nls\npwd")).toBe(false);
  });

  it("supports verbose mode (?x) with comments", () => {
    const m = matcher("(?x) wget \\s+ http   # the download\n [^ ]+ ");
    expect(m.test("wget http://evil/x")).toBe(true);
    expect(m.test("wgethttp")).toBe(false);
    expect(matcher("(?x)[ ]a").test("x a")).toBe(true);
  });

  it("supports named groups and \\A / \\Z anchors", () => {
    expect(matcher("(?P<tool>wget|curl)\\s").test("curl -O")).toBe(true);
    expect(matcher("\\Acd\\b").test("cd /tmp")).toBe(true);
    expect(matcher("\\Acd\\b").test("x; cd /tmp")).toBe(false);
    expect(matcher("sh\\Z").test("| sh")).toBe(true);
    expect(matcher("sh\\Z").test("| sh\n")).toBe(false);
  });

  it("gives $ Python's meaning: end or before a final newline", () => {
    expect(matcher("sh$").test("| sh\n")).toBe(true);
    expect(matcher("sh$").test("| sh\nx")).toBe(false);
  });

  it("rewrites a trailing boundary lookahead into a group", () => {
    const m = matcher("(?i)\\bnc\\s+-e(?=\\s|/|$)");
    expect(m.re2Source).not.toContain("(?=");
    expect(m.test("nc -e /bin/sh")).toBe(true);
    expect(m.test("nc -ex")).toBe(false);
    expect(matcher("foo(?=;)|bar(?=!)").test("bar!")).toBe(true);
  });

  it("rejects constructs that cannot run in linear time, naming them", () => {
    expect(problems("(a)\\1")[0]).toMatch(/backreference/);
    expect(problems("(?P<x>a)(?P=x)")[0]).toMatch(/backreference/);
    expect(problems("(?<=a)b")[0]).toMatch(/lookbehind/);
    expect(problems("(?<!a)b")[0]).toMatch(/lookbehind/);
    expect(problems("a(?!b)")[0]).toMatch(/negative lookahead/);
    expect(problems("a(?=b)c")[0]).toMatch(/only supported at the very end/);
    expect(problems("(?>ab)")[0]).toMatch(/atomic group/);
    expect(problems("a++")[0]).toMatch(/possessive/);
    expect(problems("(?(1)a|b)")[0]).toMatch(/conditional/);
    expect(problems("a{2000}")[0]).toMatch(/over 1000/);
    expect(problems("a(?i)b")[0]).toMatch(/must be at the start/);
  });

  it("reports every problem with its offset, not only the first", () => {
    const r = translatePythonPattern("(?<=a)x(b)\\1");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.offset)).toEqual([0, 10]);
  });

  it("reports syntax errors from the engine or the scanner", () => {
    expect(problems("(ab")[0]).toMatch(/missing "\)"/);
    expect(problems("[ab")[0]).toMatch(/unterminated character class/);
    expect(problems("ab)")[0]).toMatch(/unbalanced/);
  });

  it("keeps Python class semantics for [ and escapes inside classes", () => {
    expect(matcher("[[]").test("a[b")).toBe(true);
    expect(matcher("[]a]").test("]")).toBe(true);
    expect(matcher("x{,2}y").test("xxy")).toBe(true);
    expect(matcher("a{").test("a{")).toBe(true);
    expect(matcher("\\u0041").test("A")).toBe(true);
  });

  it("matches adversarial input in linear time", () => {
    const m = matcher("(?:echo|printf)\\s+[^\\n;|]*(?:eval\\(|exec\\()[^\\n;|]*>\\s*[^\\n;|]*\\.(?:php|jsp)\\b");
    const evil = "echo " + "eval(".repeat(1800) + " > a";
    const t = performance.now();
    expect(m.test(evil)).toBe(false);
    // Generous bound: V8's backtracking engine takes seconds on this input.
    expect(performance.now() - t).toBeLessThan(500);
    const nested = matcher("(a+)+$");
    expect(nested.test("a".repeat(50_000) + "!")).toBe(false);
  });
});
