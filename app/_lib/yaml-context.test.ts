import { describe, expect, it } from "vitest";
import { attackIdAt, markerSpan, tokenAround, yamlContext } from "./yaml-context";

const DOC = [
  "# comment",
  "rule_id: R1001",
  "description: >-",
  "  Text with: a colon",
  "applies_to: [command, ",
  "match:",
  "  pattern: '(?i)x'",
  "  ",
  "emits:",
  "  - technique_id: T1059",
  "    sub_technique_id: T1059.004",
  "    tactic: TA",
  "    confidence: 0.5",
  "  - technique_id: T1105",
  "    tactic: TA0011",
  "tests:",
  "  - event:",
  "      payload:",
  "        command_text: 'x'",
  "      sou",
  "    expect: [T10",
  "evidence_fields:",
  "  - command_text",
  "app",
  "unindented:",
  "- technique_id: T1",
  "  tactic: TA0",
];
const at = (lineNo: number, column?: number) => yamlContext(DOC, lineNo - 1, column ?? (DOC[lineNo - 1] ?? "").length + 1);

describe("yamlContext", () => {
  it("finds a value position inside a list item, with its siblings above and below", () => {
    expect(at(12)).toEqual({
      kind: "value",
      container: "emits[]",
      key: "tactic",
      siblings: { technique_id: "T1059", sub_technique_id: "T1059.004", confidence: "0.5" },
    });
  });

  it("the first key of an item sees only the keys below it, up to the next item", () => {
    const c = at(14);
    expect(c).toMatchObject({ kind: "value", container: "emits[]", key: "technique_id" });
    expect(c.siblings).toEqual({ tactic: "TA0011" });
  });

  it("key positions at each level", () => {
    expect(at(24)).toMatchObject({ kind: "key", container: "" });
    expect(at(8)).toMatchObject({ kind: "key", container: "match" });
    expect(at(20)).toMatchObject({ kind: "key", container: "tests[].event" });
  });

  it("flow lists and block lists of scalars are items of their key", () => {
    expect(at(5)).toMatchObject({ kind: "item", container: "", key: "applies_to" });
    expect(at(21)).toMatchObject({ kind: "item", container: "tests[]", key: "expect" });
    expect(at(23)).toMatchObject({ kind: "key", container: "evidence_fields[]", key: "evidence_fields" });
  });

  it("inside a block scalar there is nothing to complete", () => {
    expect(at(4).kind).toBe("none");
  });

  it("unindented lists (dash in the key's column) still belong to the key", () => {
    expect(at(26)).toMatchObject({ kind: "value", container: "unindented[]", key: "technique_id" });
    expect(at(27)).toMatchObject({ kind: "value", container: "unindented[]", key: "tactic", siblings: { technique_id: "T1" } });
  });
});

describe("token helpers", () => {
  it("attackIdAt finds ids under the cursor, sub-techniques whole", () => {
    expect(attackIdAt("    sub_technique_id: T1059.004", 25)).toEqual({ id: "T1059.004", start: 23, end: 32 });
    expect(attackIdAt("    tactic: TA0002 # x", 13)).toEqual({ id: "TA0002", start: 13, end: 19 });
    expect(attackIdAt("    tactic: TA0002", 5)).toBeNull();
  });

  it("tokenAround spans id characters", () => {
    expect(tokenAround("expect: [T1059.0]", 14)).toEqual({ text: "T1059.0", start: 10, end: 17 });
  });

  it("markerSpan underlines a scalar, a quoted string, a key without its colon", () => {
    expect(markerSpan("    confidence: 7", 17)).toEqual({ startColumn: 17, endColumn: 18 });
    expect(markerSpan("  pattern: 'a(b' # c", 12)).toEqual({ startColumn: 12, endColumn: 17 });
    expect(markerSpan("emits:", 1)).toEqual({ startColumn: 1, endColumn: 6 });
    expect(markerSpan("applies_to: [a, b]", 13)).toEqual({ startColumn: 13, endColumn: 19 });
    expect(markerSpan("", 1)).toEqual({ startColumn: 1, endColumn: 1 });
    expect(markerSpan("abc", 9)).toEqual({ startColumn: 3, endColumn: 4 });
  });
});
