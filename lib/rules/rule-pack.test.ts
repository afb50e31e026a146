import { strToU8, unzipSync, zipSync, type Zippable } from "fflate";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../errors";
import { buildRulePackZip, classifyEntry, loadRulePack, MAX_PACK_BYTES, readRulePackZip } from "./rule-pack";
import { ruleYaml } from "./testing/fixtures";

function zip(entries: Record<string, string>): Uint8Array {
  const files: Zippable = {};
  for (const [name, text] of Object.entries(entries)) files[name] = strToU8(text);
  return zipSync(files);
}

const errorsOf = (bytes: Uint8Array): string[] => loadRulePack(bytes).issues.filter((i) => i.severity === "error").map(formatIssue);

describe("classifyEntry", () => {
  it.each([
    ["R1.yaml", "rule"],
    ["pack/ttp/R1.yml", "rule"],
    ["./R1.yaml", "rule"],
    ["pack/", "folder"],
    ["README.md", "ignored"],
    ["R1.yaml.bak", "ignored"],
    [".R1.yaml", "ignored"],
    ["pack/.git/R1.yaml", "ignored"],
    ["__MACOSX/._R1.yaml", "ignored"],
    ["__MACOSX/pack/R1.yaml", "ignored"],
    ["/etc/R1.yaml", "unsafe"],
    ["../R1.yaml", "unsafe"],
    ["pack/../../R1.yaml", "unsafe"],
    ["pack\\..\\R1.yaml", "unsafe"],
    ["C:/rules/R1.yaml", "unsafe"],
    ["../", "unsafe"],
  ])("%s is %s", (name, kind) => {
    expect(classifyEntry(name)).toBe(kind);
  });
});

describe("readRulePackZip", () => {
  it("round-trips an export: every rule's text under <rule_id>.yaml", () => {
    const rules = [
      { ruleId: "R1", yamlText: ruleYaml("R1") },
      { ruleId: "R2", yamlText: `# kept comment\n${ruleYaml("R2")}` },
    ];
    const bytes = buildRulePackZip(rules);
    expect(Object.keys(unzipSync(bytes)).sort()).toEqual(["R1.yaml", "R2.yaml"]);
    const read = readRulePackZip(bytes);
    expect(read.issues).toEqual([]);
    expect(read.files).toEqual([
      { path: "R1.yaml", text: rules[0]?.yamlText },
      { path: "R2.yaml", text: rules[1]?.yamlText },
    ]);
  });

  it("keeps nested rule files, ignores junk, refuses unsafe paths", () => {
    const read = readRulePackZip(
      zip({
        "pack/R1.yaml": ruleYaml("R1"),
        "pack/README.md": "# hi",
        "__MACOSX/pack/._R1.yaml": "junk",
        ".DS_Store": "junk",
        "../R2.yaml": ruleYaml("R2"),
        "/abs/R3.yaml": ruleYaml("R3"),
      }),
    );
    expect(read.files.map((f) => f.path)).toEqual(["pack/R1.yaml"]);
    expect(read.ignored).toEqual([".DS_Store", "__MACOSX/pack/._R1.yaml", "pack/README.md"]);
    expect(read.issues.map((i) => `${i.source}: ${i.message}`)).toEqual([
      "../R2.yaml: unsafe path in the archive: absolute paths and '..' are not allowed",
      "/abs/R3.yaml: unsafe path in the archive: absolute paths and '..' are not allowed",
    ]);
  });

  it("reports something that is not a zip, and an oversized upload, without throwing", () => {
    expect(readRulePackZip(strToU8("rule_id: R1\n")).issues[0]?.message).toMatch(/^not a readable zip archive/);
    expect(readRulePackZip(new Uint8Array(MAX_PACK_BYTES + 1)).issues[0]?.message).toBe("the archive is larger than 10 MiB");
  });

  it("refuses a rule file that unpacks beyond the rule size limit (zip bomb) without inflating it", () => {
    const bomb = zipSync({ "R1.yaml": new Uint8Array(2 * 1024 * 1024).fill(0x20) }, { level: 9 });
    expect(bomb.length).toBeLessThan(20_000);
    const read = readRulePackZip(bomb);
    expect(read.files).toEqual([]);
    expect(read.issues.map((i) => `${i.source}: ${i.message}`)).toEqual(["R1.yaml: a rule file may be at most 1 MiB"]);
  });

  it("refuses text that is not UTF-8", () => {
    const read = readRulePackZip(zipSync({ "R1.yaml": new Uint8Array([0x72, 0xff, 0xfe, 0x0a]) }));
    expect(read.issues.map((i) => `${i.source}: ${i.message}`)).toEqual(["R1.yaml: not UTF-8 text"]);
  });
});

describe("loadRulePack", () => {
  it("validates every file with line:column, the stem check and duplicate ids across folders", () => {
    const bad = ruleYaml("R2", { confidence: 1.5 });
    const line = bad.split("\n").findIndex((l) => l.includes("confidence:")) + 1;
    const errors = errorsOf(
      zip({
        "a/R1.yaml": ruleYaml("R1"),
        "b/R1.yaml": ruleYaml("R1"),
        "R2.yaml": bad,
        "R3.yaml": ruleYaml("R4"),
      }),
    );
    expect(errors).toHaveLength(4);
    expect(errors[0]).toMatch(new RegExp(`^R2\\.yaml:${line}:\\d+: .*confidence`));
    expect(errors.slice(1).sort()).toEqual([
      expect.stringMatching(/^R3\.yaml:2:\d+: rule_id "R4" must equal the file name stem "R3"/),
      expect.stringMatching(/^a\/R1\.yaml:1:1: duplicate rule_id "R1" \(also in b\/R1\.yaml\)/),
      expect.stringMatching(/^b\/R1\.yaml:1:1: duplicate rule_id "R1" \(also in a\/R1\.yaml\)/),
    ]);
  });

  it("gives the valid files by rule id when the pack is clean", () => {
    const pack = loadRulePack(zip({ "R1.yaml": ruleYaml("R1"), "x/R2.yml": ruleYaml("R2"), "notes.txt": "x" }));
    expect(pack.issues.filter((i) => i.severity === "error")).toEqual([]);
    expect([...pack.files.keys()]).toEqual(["R1", "R2"]);
    expect(pack.files.get("R2")?.path).toBe("x/R2.yml");
    expect(pack.fileCount).toBe(2);
    expect(pack.ignored).toEqual(["notes.txt"]);
  });

  it("treats a zip without rule files as an error (it would delete everything)", () => {
    expect(errorsOf(zip({ "README.md": "x" }))).toEqual(["(zip):1:1: the archive holds no rule files (<rule_id>.yaml)"]);
  });
});
