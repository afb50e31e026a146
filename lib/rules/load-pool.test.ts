import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { definitionJson } from "./definition";
import { loadRulesDirInThreads, validatePathsInThreads, validateRuleFilesInThreads } from "./load-pool";
import { listRuleFiles, loadRulesDir, readRuleFiles, type LoadedRuleFiles } from "./rule-files";

const PACK = path.resolve(__dirname, "../../rules/ttp");

// The sample pack (pattern and analyzer rules, with tests: examples) plus broken and duplicated files.
const dir = mkdtempSync(path.join(tmpdir(), "ttp-load-pool-"));
for (const name of readdirSync(PACK).filter((f) => f.endsWith(".yaml"))) writeFileSync(path.join(dir, name), readFileSync(path.join(PACK, name)));
const one = (id: string, extra = ""): string =>
  `rule_id: ${id}\nrule_version: 1\nname: n\napplies_to: [command]\nmatch:\n  pattern: 'curl\\s'\nemits:\n  - {technique_id: T1105, tactic: TA0011, confidence: 0.5}\n${extra}`;
writeFileSync(path.join(dir, "X1.yaml"), one("X1").replace("confidence: 0.5", "confidence: 1.5"));
writeFileSync(path.join(dir, "X2.yaml"), one("X2").replace("applies_to: [command]", "applies_to: [command"));
writeFileSync(path.join(dir, "X3.yaml"), one("X3", "tests:\n  - event: {payload: {command_text: 'wget x'}}\n    expect: [T1105]\n"));
writeFileSync(path.join(dir, "X4.yaml"), one("X5"));
writeFileSync(path.join(dir, "X6.yaml"), one("X6"));
writeFileSync(path.join(dir, "X6.yml"), one("X6"));
writeFileSync(path.join(dir, "X7.yaml"), one("X7").replace("curl\\s", "(a)\\1"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What a caller sees of a load: issues in order, and every kept rule as its definition, text, state and file. */
function view(l: LoadedRuleFiles): unknown {
  return {
    issues: l.issues,
    rules: l.rules.map((r) => ({ id: r.ruleId, definition: definitionJson(r), yaml: r.yamlText, state: r.state, file: l.files.get(r.ruleId)?.path })),
  };
}

describe("validating rule files in loading threads", () => {
  it("gives exactly the in-process result: the same rules, issues with positions in the same order, duplicates dropped", async () => {
    const inProcess = await loadRulesDir(dir);
    expect(inProcess.issues.filter((i) => i.severity === "error").length).toBeGreaterThanOrEqual(6);
    expect(inProcess.rules.length).toBeGreaterThan(50);
    const files = await readRuleFiles(dir);
    // Small chunks so that both threads and the main thread take several each.
    const stats = { threadJobs: 0, mainJobs: 0 };
    const threaded = await validateRuleFilesInThreads(files, { threads: 2, minFiles: 0, chunk: 7, stats });
    expect(view(threaded)).toEqual(view(inProcess));
    expect(stats.threadJobs).toBeGreaterThan(0);
    expect(stats.threadJobs + stats.mainJobs).toBe(Math.ceil(files.length / 7));
    // X4.yaml holds rule X5 (file name and rule_id differ): refused like in-process.
    expect(threaded.rules.find((r) => r.ruleId === "X5")).toBeUndefined();
    // The rebuilt rules match like the parsed ones.
    const r = threaded.rules.find((x) => x.match.type === "pattern");
    expect(r?.matcher?.test("x")).toBe(inProcess.rules.find((x) => x.ruleId === r?.ruleId)?.matcher?.test("x"));
  });

  it("has the threads read the files of their chunks: same result, and a file that cannot be read fails the load with its error", async () => {
    const inProcess = view(await loadRulesDir(dir));
    const stats = { threadJobs: 0, mainJobs: 0 };
    expect(view(await loadRulesDirInThreads(dir, { threads: 2, minFiles: 0, chunk: 5, stats }))).toEqual(inProcess);
    expect(stats.threadJobs).toBeGreaterThan(0);
    // A file gone between listing and reading, in a chunk of its own at either end (a thread's or the main thread's).
    const paths = await listRuleFiles(dir);
    const gone = path.join(dir, "GONE.yaml");
    for (const list of [[...paths, gone], [gone, ...paths]]) {
      await expect(validatePathsInThreads(list, { threads: 2, minFiles: 0, chunk: 1 })).rejects.toThrow(/ENOENT.*GONE\.yaml/);
    }
  });

  it("stays in-process under minFiles or with no thread", async () => {
    const inProcess = view(await loadRulesDir(dir));
    expect(view(await loadRulesDirInThreads(dir))).toEqual(inProcess);
    expect(view(await loadRulesDirInThreads(dir, { threads: 0, minFiles: 0 }))).toEqual(inProcess);
  });
});
