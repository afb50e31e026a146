import { describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseRule, compileRule } from "./parse-rule";
import { isRuleFileName, loadRulesDir } from "./rule-files";
import { ruleJsonSchema } from "./schema";
import { ruleYaml } from "./testing/fixtures";
import { ValidationError } from "../errors";

const errors = (text: string, opts: { expectedRuleId?: string } = {}) =>
  parseRule(text, { source: "r.yaml", ...opts }).issues.filter((i) => i.severity === "error");

describe("parseRule", () => {
  it("compiles a valid rule into an immutable record that keeps the original text", () => {
    const text = ruleYaml("R1", { sub: "T1082.001", technique: "T1082" }).replace("T1082.001", "");
    const rule = compileRule(ruleYaml("R1"), { source: "R1.yaml" });
    expect(rule.ruleId).toBe("R1");
    expect(rule.description).toBe("test rule R1");
    expect(rule.yamlText).toContain("# test rule R1");
    expect(rule.appliesTo.has("command")).toBe(true);
    expect(rule.emits[0]).toEqual({ technique_id: "T1082", sub_technique_id: null, tactic: "TA0007", confidence: 0.6 });
    expect(rule.state.state).toBe("enabled");
    expect(Object.isFrozen(rule)).toBe(true);
    expect(Object.isFrozen(rule.emits[0])).toBe(true);
    expect(text).toBeTypeOf("string");
  });

  it("defaults description to empty and keeps unknown top-level keys in the text", () => {
    const text = ruleYaml("R1").replace(/description:.*\n/, "") + "owner: blue-team\n";
    const rule = compileRule(text, { source: "R1" });
    expect(rule.description).toBe("");
    expect(rule.yamlText).toContain("owner: blue-team");
  });

  it("reports every problem at once, with YAML path and line:column", () => {
    const text = [
      "rule_id: bad-id", // 1
      "rule_version: 0", // 2
      "name: x", // 3
      "applies_to: []", // 4
      "match:", // 5
      "  pattern: 'a(?<=b)'", // 6
      "emits:", // 7
      "  - technique_id: T1059", // 8
      "    sub_technique_id: T1082.001", // 9
      "    tactic: TA02", // 10
      "    confidence: 1.2", // 11
    ].join("\n");
    const errs = errors(text);
    const at = (p: string) => errs.find((e) => e.path.join(".") === p);
    expect(at("rule_id")).toMatchObject({ line: 1, column: 10 });
    expect(at("rule_version")).toMatchObject({ line: 2, column: 15 });
    expect(at("applies_to")?.message).toMatch(/at least one source kind/);
    expect(at("applies_to")).toMatchObject({ line: 4, column: 13 });
    expect(at("match.pattern")).toMatchObject({ line: 6, column: 14 }); // the "(?<=" itself
    expect(at("match.pattern")?.message).toMatch(/lookbehind/);
    expect(at("emits.0.sub_technique_id")?.message).toMatch(/must extend technique_id T1059/);
    expect(at("emits.0.tactic")).toMatchObject({ line: 10, column: 13 });
    expect(at("emits.0.confidence")).toMatchObject({ line: 11, column: 17 });
    expect(errs.length).toBeGreaterThanOrEqual(7);
  });

  it("an empty applies_to is a validation error, not a silent delete", () => {
    const errs = errors(ruleYaml("R1", { appliesTo: [] }));
    expect(errs.map((e) => e.path.join("."))).toContain("applies_to");
  });

  it("reports missing required fields at the mapping", () => {
    const errs = errors("rule_id: R1\n");
    const paths = errs.map((e) => e.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["rule_version", "name", "applies_to", "match", "emits"]));
  });

  it("reports YAML syntax errors and duplicate keys with positions", () => {
    expect(errors("rule_id: R1\nname: [unclosed\n")[0]?.line).toBeGreaterThanOrEqual(2);
    const dup = errors(ruleYaml("R1") + "rule_id: R2\n");
    expect(dup[0]?.message).toMatch(/unique/);
    expect(errors("- a\n- b\n")[0]?.message).toMatch(/mapping/);
    expect(errors("")[0]?.message).toMatch(/empty/);
    expect(errors(ruleYaml("R1") + "---\nrule_id: R2\n")[0]?.message).toMatch(/one YAML document/);
  });

  it("requires the file stem to equal rule_id", () => {
    expect(errors(ruleYaml("R1"), { expectedRuleId: "R2" })[0]?.message).toMatch(/must equal the file name stem "R2"/);
  });

  it("accepts analyzer rules and keeps their params verbatim", () => {
    const text = ruleYaml("R1").replace(/match:\n.*\n/, "match:\n  kind: lifter:session_timing\n  min_commands: 5\n  window: {seconds: 10}\n");
    const rule = compileRule(text, { source: "R1" });
    expect(rule.match).toEqual({ type: "analyzer", kind: "lifter:session_timing", params: { min_commands: 5, window: { seconds: 10 } } });
    expect(rule.matcher).toBeNull();
  });

  it("refuses a match with neither or both of pattern and kind", () => {
    expect(errors(ruleYaml("R1").replace(/match:\n.*\n/, "match:\n  field: x\n"))[0]?.message).toMatch(/either pattern/);
    expect(errors(ruleYaml("R1").replace(/match:\n/, "match:\n  kind: lifter:x\n"))[0]?.message).toMatch(/both pattern and kind/);
  });

  it("warns (not errors) on unknown source kinds and catalog mismatches", () => {
    const r = parseRule(ruleYaml("R1", { appliesTo: ["command", "smtp_banner"], tactic: "TA0002" }), { source: "R1" });
    expect(r.rule).not.toBeNull();
    const warnings = r.issues.filter((i) => i.severity === "warning").map((i) => i.message);
    expect(warnings.some((w) => /unknown source kind "smtp_banner"/.test(w))).toBe(true);
    expect(warnings.some((w) => /not under tactic TA0002/.test(w))).toBe(true);
  });

  it("runs tests: examples and reports each failing one with its line", () => {
    const good = ruleYaml("R1", {
      extra: [
        "tests:",
        "  - event: {payload: {command_text: 'uname -a'}}",
        "    expect: [T1082]",
        "  - event: {payload: {command_text: 'unamed'}}",
        "    expect: []",
      ].join("\n"),
    });
    expect(parseRule(good, { source: "R1" }).rule).not.toBeNull();
    const bad = ruleYaml("R1", {
      extra: [
        "tests:", // 14
        "  - event: {payload: {command_text: 'uname -r'}}", // 17
        "    expect: [T1082]",
        "  - event: {payload: {command_text: 'x; uname -a'}}", // 19
        "    expect: []",
        "  - event: {source_kind: http_request, payload: {raw_url: 'uname -a'}}",
        "    expect: [T1082]",
      ].join("\n"),
    });
    const errs = errors(bad);
    expect(errs.map((e) => [e.line, e.path.join(".")])).toEqual([
      [15, "tests.0"],
      [17, "tests.1"],
      [19, "tests.2"],
    ]);
    expect(errs[2]?.message).toMatch(/not in applies_to/);
  });

  it("throws a typed ValidationError from compileRule", () => {
    expect(() => compileRule("rule_id: 1\n", { source: "x" })).toThrow(ValidationError);
  });

  it("derives a JSON schema for the editor from the same zod schema", () => {
    const schema = ruleJsonSchema() as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["rule_id", "match", "emits", "tests"]));
    expect(schema.required).toEqual(expect.arrayContaining(["rule_id", "rule_version", "name", "applies_to", "match", "emits"]));
  });
});

describe("rule files", () => {
  it("only names fully matching [A-Za-z0-9_]+.ya?ml are rule files", () => {
    for (const ok of ["R1.yaml", "r_2.yml", "ABC.yaml"]) expect(isRuleFileName(ok)).toBe(true);
    for (const no of [".R1.yaml", "R1.yaml~", "R1.yaml.swp", "R-1.yaml", "R1.YAML", "R1.yaml.bak", "R1.json", "#R1.yaml#"]) expect(isRuleFileName(no)).toBe(false);
  });

  it("loads a directory, ignoring non-rule files and sub-directories, and flags duplicate ids", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ttp-rules-"));
    writeFileSync(path.join(dir, "R1.yaml"), ruleYaml("R1"));
    writeFileSync(path.join(dir, "R2.yml"), ruleYaml("R2"));
    writeFileSync(path.join(dir, ".R1.yaml.swp"), "garbage: [");
    writeFileSync(path.join(dir, "notes.txt"), "hello");
    mkdirSync(path.join(dir, "sub.yaml"));
    writeFileSync(path.join(dir, "R3.yaml"), ruleYaml("R3"));
    writeFileSync(path.join(dir, "R3.yml"), ruleYaml("R3"));
    const loaded = await loadRulesDir(dir);
    expect(loaded.rules.map((r) => r.ruleId)).toEqual(["R1", "R2"]);
    const dups = loaded.issues.filter((i) => /duplicate rule_id "R3"/.test(i.message));
    expect(dups).toHaveLength(2);
  });
});

describe("hostile rule text", () => {
  const head = "rule_id: R1\nrule_version: 1\nname: x\napplies_to: [command]\nemits: [{technique_id: T1059, tactic: TA0002, confidence: 0.5}]\n";

  it("refuses deep nesting at its line:column before the YAML parser sees it (no stack overflow, no crash)", () => {
    for (const text of [`${head}match: {pattern: x}\nx: ${"[".repeat(3000)}${"]".repeat(3000)}\n`, `${head}match: {pattern: x}\nx: ${"[".repeat(100_000)}\n`]) {
      const r = parseRule(text, { source: "bomb.yaml" });
      expect(r.rule).toBeNull();
      expect(r.issues).toEqual([expect.objectContaining({ line: 7, column: 3 + 64, severity: "error", message: expect.stringMatching(/nests deeper than 64 levels/) })]);
    }
    let block = `${head}match: {pattern: x}\nx:\n`;
    for (let i = 1; i < 200; i++) block += `${" ".repeat(i)}k${i}:\n`;
    expect(parseRule(block, { source: "b.yaml" }).issues[0]?.message).toMatch(/nests deeper than 64 levels/);
  });

  it("refuses over-long and over-nested patterns with the offset, and evidence names of Object.prototype", () => {
    const long = parseRule(`${head}match: {pattern: '${"a".repeat(5000)}'}\n`, { source: "l.yaml" });
    expect(long.issues[0]).toMatchObject({ path: ["match", "pattern"], message: expect.stringMatching(/5000 characters long; at most 4096/) });
    const nested = parseRule(`${head}match: {pattern: '${"(?:a".repeat(40)}${")".repeat(40)}'}\n`, { source: "n.yaml" });
    expect(nested.issues[0]).toMatchObject({ line: 6, column: 19 + 32 * 4, message: expect.stringMatching(/nested more than 32 deep/) });
    const ev = parseRule(`${head}match: {pattern: x}\nevidence_fields: [command_text, __proto__, constructor, toString]\n`, { source: "e.yaml" });
    expect(ev.issues.map((i) => i.path)).toEqual([
      ["evidence_fields", 1],
      ["evidence_fields", 2],
      ["evidence_fields", 3],
    ]);
  });

  it("regex lists in analyzer parameters are compiled and bounded", () => {
    const many = parseRule(`${head.replace("[command]", "[session]")}match:\n  kind: lifter:behavioral_data_destruction\n  patterns: [${Array.from({ length: 300 }, (_, i) => `p${i}`).join(", ")}]\n`, { source: "m.yaml" });
    expect(many.issues[0]).toMatchObject({ path: ["match", "patterns"], message: expect.stringMatching(/300 patterns; at most 256/) });
    const bad = parseRule(`${head.replace("[command]", "[session]")}match:\n  kind: lifter:behavioral_data_destruction\n  patterns: [ok, '(?<=x)y']\n`, { source: "b.yaml" });
    expect(bad.issues[0]).toMatchObject({ path: ["match", "patterns", 1], line: 8, severity: "error", message: expect.stringMatching(/^patterns\[1\]: .*lookbehind/) });
  });
});

describe("limits that keep validation cheap", () => {
  const head = "rule_id: R1\nrule_version: 1\nname: x\napplies_to: [command]\nemits: [{technique_id: T1059, tactic: TA0002, confidence: 0.5}]\n";

  it("refuses large counted repetition in one pattern and across a rule's regex lists", () => {
    const one = parseRule(`${head}match: {pattern: '${"(?:\\w+\\s+\\d{1,1000})|".repeat(3)}x'}\n`, { source: "c.yaml" });
    expect(one.issues[0]?.message).toMatch(/more than 2000 repeated units/);
    const list = Array.from({ length: 5 }, () => "'a{1,900}'").join(", ");
    const many = parseRule(`${head.replace("[command]", "[session]")}match:\n  kind: lifter:behavioral_data_destruction\n  patterns: [${list}]\n`, { source: "l.yaml" });
    expect(many.issues[0]).toMatchObject({ path: ["match", "patterns"], message: expect.stringMatching(/4500 counted-repetition units; at most 65536 and 4000/) });
  });

  it("finds duplicate keys in linear time and reports each at its position", () => {
    let text = `${head}match: {pattern: x}\nextra:\n`;
    for (let i = 0; i < 3000; i++) text += `  k${i}: 1\n`;
    text += "  k7: 2\n";
    const r = parseRule(text, { source: "d.yaml" });
    expect(r.issues).toEqual([expect.objectContaining({ line: 8 + 3000, column: 3, message: 'YAML: Map keys must be unique ("k7" appears twice)' })]);
  });

  it("refuses more than 10,000 values, 100 aliases, 200 tests: examples; reports at most 200 problems", () => {
    let big = `${head}match: {pattern: x}\nextra: [`;
    big += Array.from({ length: 10_001 }, (_, i) => i).join(", ") + "]\n";
    expect(parseRule(big, { source: "b.yaml" }).issues[0]?.message).toMatch(/more than 10000 values/);
    const aliases = `${head}match: {pattern: x}\na: &a 1\nextra: [${Array.from({ length: 101 }, () => "*a").join(", ")}]\n`;
    expect(parseRule(aliases, { source: "a.yaml" }).issues[0]?.message).toMatch(/more than 100 aliases/);
    const tests = `${head}match: {pattern: x}\ntests:\n${Array.from({ length: 201 }, () => "  - {event: {payload: {command_text: x}}, expect: [T1059]}").join("\n")}\n`;
    expect(parseRule(tests, { source: "t.yaml" }).issues.map((i) => i.message)).toContain("at most 200 tests: examples per rule (the test panel runs up to 1,000 pasted events)");
    const bad = `${head}match: {pattern: x}\nevidence_fields: [${Array.from({ length: 400 }, () => "toString").join(", ")}]\n`;
    const issues = parseRule(bad, { source: "e.yaml" }).issues;
    expect(issues).toHaveLength(201);
    expect(issues[200]?.message).toBe("…and 200 more problems (400 errors in all)");
  });
});
