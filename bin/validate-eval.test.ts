import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ruleYaml } from "../lib/rules/testing/fixtures";
import { runCli } from "./testing/run-cli";

const ROOT = path.resolve(__dirname, "..");

function rulesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ttp-cli-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("ttp validate", () => {
  it("exits 0 on a clean directory and ignores non-rule files", async () => {
    const dir = rulesDir({ "R1.yaml": ruleYaml("R1"), "R2.yml": ruleYaml("R2"), "README.md": "# x", ".R1.yaml.swp": "x: [" });
    const r = await runCli(["validate", dir]);
    expect(r.stdout).toBe("");
    expect(r.code).toBe(0);
  });

  it("prints one path:line:col: message per problem and exits 1", async () => {
    const bad = ruleYaml("R2", { confidence: 2, pattern: "(?<=x)y" }).replace("rule_version: 1", "rule_version: 0");
    const dir = rulesDir({ "R1.yaml": ruleYaml("R1"), "R2.yaml": bad, "R3.yaml": ruleYaml("R9") });
    const r = await runCli(["validate", dir]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split("\n");
    const file = (n: string) => path.join(dir, n);
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(`^${file("R2.yaml")}:3:15: rule_version must be ≥ 1`)),
      expect.stringMatching(new RegExp(`^${file("R2.yaml")}:8:13: pattern: lookbehind`)),
      expect.stringMatching(new RegExp(`^${file("R2.yaml")}:12:17: confidence must be ≤ 1`)),
      expect.stringMatching(new RegExp(`^${file("R3.yaml")}:2:10: rule_id "R9" must equal the file name stem "R3"`)),
    ]);
  });

  it("validates single files and reports a missing path", async () => {
    const dir = rulesDir({ "R1.yaml": ruleYaml("R1") });
    expect((await runCli(["validate", path.join(dir, "R1.yaml")])).code).toBe(0);
    const missing = await runCli(["validate", path.join(dir, "nope.yaml")]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toMatch(/nope\.yaml:1:1: no such file/);
  });

  it("is a usage error without a path", async () => {
    const r = await runCli(["validate"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/validate needs at least one path/);
  });

  it("validates the sample pack shipped in rules/ttp", async () => {
    const r = await runCli(["validate", "rules/ttp"]);
    expect(r.stdout.split("\n").filter((l) => l && !l.includes("warning:"))).toEqual([]);
    expect(r.code).toBe(0);
  });
});

describe("ttp eval", () => {
  const dir = () =>
    rulesDir({
      "R1.yaml": ruleYaml("R1", { confidence: 0.6 }),
      "R2.yaml": ruleYaml("R2", { pattern: "(?i)wget\\s+http", technique: "T1105", tactic: "TA0011", confidence: 0.2 }),
    });
  const events = [
    JSON.stringify({ source_kind: "command", source_id: "cmd_42", attacker_uuid: "a1", payload: { command_text: "uname -a; WGET http://x/y", user: "root" } }),
    "{not json",
    JSON.stringify({ source_kind: "command", payload: { command_text: "uname -a" } }),
    "",
    JSON.stringify({ source_kind: "command", source_id: "cmd_43", payload: { command_text: "ls" } }),
  ].join("\n");

  it("writes one DECNET-shaped JSON line per tag and skips malformed lines with their number", async () => {
    const rules = dir();
    const file = path.join(rules, "events.jsonl");
    writeFileSync(file, events);
    const r = await runCli(["eval", "--rules", rules, "--events", file]);
    expect(r.code).toBe(0);
    const tags = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(tags.map((t) => [t.rule_id, t.technique_id, t.confidence])).toEqual([
      ["R1", "T1082", 0.6],
      ["R2", "T1105", 0.2],
    ]);
    expect(Object.keys(tags[0] ?? {})).toEqual([
      "uuid", "source_kind", "source_id", "attacker_uuid", "identity_uuid", "session_id", "decky_id",
      "tactic", "technique_id", "sub_technique_id", "confidence", "rule_id", "rule_version", "evidence",
    ]);
    expect(tags[0]?.evidence).toEqual({ command_text: "uname -a; WGET http://x/y", user: "root" });
    expect(r.stderr).toMatch(/events\.jsonl:2: skipped: not valid JSON/);
    expect(r.stderr).toMatch(/events\.jsonl:3: skipped: source_id/);
  });

  it("reads stdin and applies --min-confidence", async () => {
    const r = await runCli(["eval", "--rules", dir(), "--events", "-", "--min-confidence", "0.3"], { input: events });
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split("\n").map((l) => (JSON.parse(l) as { rule_id: string }).rule_id)).toEqual(["R1"]);
  });

  it("reuses the validated rules of unchanged files (dist/cli/rules-cache) and validates again when a file changes", async () => {
    const rules = dir();
    writeFileSync(path.join(rules, "R3.yaml"), ruleYaml("R3", { confidence: 2 }));
    const file = path.join(rules, "events.jsonl");
    writeFileSync(file, events);
    const run = async () => {
      const r = await runCli(["eval", "--rules", rules, "--events", file]);
      expect(r.code).toBe(0);
      return { tags: r.stdout.trim().split("\n").map((l) => { const t = JSON.parse(l) as { rule_id: string; confidence: number }; return `${t.rule_id}:${t.confidence}`; }), stderr: r.stderr };
    };
    const cacheDir = path.join(ROOT, "dist/cli/rules-cache");
    const before = new Set(existsSync(cacheDir) ? readdirSync(cacheDir) : []);
    const first = await run();
    expect(first.tags).toEqual(["R1:0.6", "R2:0.2"]);
    expect(first.stderr).toMatch(/R3\.yaml:\d+:\d+: confidence must be ≤ 1/);
    // Other tests' evals may add entries meanwhile: this one names this directory's R3.yaml.
    const written = readdirSync(cacheDir).filter((n) => !before.has(n) && n.endsWith(".json") && readFileSync(path.join(cacheDir, n), "utf8").includes(JSON.stringify(path.join(rules, "R3.yaml"))));
    expect(written).toHaveLength(1);
    // A second run reads the entry: what it holds is what eval evaluates and reports.
    const entry = path.join(cacheDir, written[0] as string);
    const cached = readFileSync(entry, "utf8");
    writeFileSync(entry, cached.replace(/\\"confidence\\":0\.6/, '\\"confidence\\":0.55'));
    expect(readFileSync(entry, "utf8")).not.toBe(cached);
    const second = await run();
    expect(second.tags).toEqual(["R1:0.55", "R2:0.2"]);
    expect(second.stderr).toBe(first.stderr);
    // A damaged entry is as good as none.
    writeFileSync(entry, "{");
    expect((await run()).tags).toEqual(["R1:0.6", "R2:0.2"]);
    // An edited file is a different rule set.
    writeFileSync(path.join(rules, "R1.yaml"), ruleYaml("R1", { confidence: 0.7 }));
    expect((await run()).tags).toEqual(["R1:0.7", "R2:0.2"]);
  });

  it("rejects bad options with exit 1", async () => {
    expect((await runCli(["eval"])).code).toBe(1);
    const bad = await runCli(["eval", "--rules", dir(), "--min-confidence", "high"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--min-confidence must be a number between 0 and 1/);
    expect((await runCli(["eval", "--rules", "/nonexistent"])).stderr).toMatch(/no such directory/);
    expect((await runCli(["eval", "--rules", dir(), "--bogus"])).code).toBe(1);
  });
});
