import { readFileSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isTtpError } from "../errors";
import { defaultState } from "../state/semantics";
import { DraftPool } from "./draft-pool";
import { MAX_ISSUES } from "./draft-messages";
import { parseRule } from "./parse-rule";
import { testDraft } from "../engine/test-draft";
import { ruleYaml } from "./testing/fixtures";

const R1001 = readFileSync(path.join(__dirname, "../../rules/ttp/R1001.yaml"), "utf8");
/**
 * Slow to validate whatever the machine: ≈ 1 MB of YAML to parse (parseRule refuses what used to be
 * slow, e.g. counted repetitions, in milliseconds, so size is what is left).
 */
const SLOW = `${ruleYaml("R9990", { pattern: "(?i)\\b(?:curl|wget)\\b" })}tests:\n${Array.from({ length: 1000 }, (_, i) => `  - event: {payload: {command_text: "${"x".repeat(900)} curl ${i}"}}\n    expect: [T1082]`).join("\n")}\n`;

const pools: DraftPool[] = [];
function pool(options: ConstructorParameters<typeof DraftPool>[0] = {}): DraftPool {
  // A generous limit unless the test is about it: a loaded 2-core CI machine must not time out an ordinary draft.
  const p = new DraftPool({ timeoutMs: 20_000, ...options });
  pools.push(p);
  return p;
}
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe("DraftPool", { timeout: 60_000 }, () => {
  it("validates on a thread with the same issues as parseRule in this thread", async () => {
    const p = pool();
    const broken = R1001.replace("confidence: ", "confidence: 7 #").replace(/^rule_version: 1$/m, "rule_version: one");
    for (const [text, source] of [[R1001, "R1001"], [broken, "(new rule)"], ["a: [", "x"]] as const) {
      const here = parseRule(text, { source });
      const there = await p.validate(text, source);
      expect(there.issues).toEqual(here.issues);
      expect(there.ruleId).toBe(here.rule?.ruleId ?? null);
    }
    expect((await p.validate(R1001, "R1001")).ruleId).toBe("R1001");
    expect((await p.validate(broken, "x")).issues.length).toBeGreaterThan(0);
  });

  it("test-runs a draft on a thread, asking this side for the stored state", async () => {
    const p = pool();
    const asked: string[] = [];
    const state = { ...defaultState(), state: "clipped" as const, confidence_max: 0.2 };
    const getState = (id: string) => {
      asked.push(id);
      return state;
    };
    const input = { draftYaml: R1001, eventsText: "", useExamples: true, nowMs: Date.parse("2026-03-01T12:00:00Z") };
    const there = await p.test(input, getState);
    const here = await testDraft({ ...input, getState });
    expect(asked).toEqual(["R1001", "R1001"]);
    expect(there.status).toBe("ran");
    expect({ ...there, elapsedMs: 0 }).toEqual({ ...here, elapsedMs: 0 });
  });

  it("terminates a job over its time limit, answers with an issue and replaces the thread", async () => {
    // 50 ms: SLOW (≈ 1 MB of YAML) takes well over that to parse on any machine; R1001 a few ms.
    const p = pool({ timeoutMs: 50 });
    // A fresh thread's first jobs run cold: on a loaded machine even R1001 can pass 50 ms there (and
    // get its thread replaced), so the thread is warmed until it answers, and replacements are
    // counted from then on.
    const answered = async (): Promise<boolean> => {
      for (let i = 0; i < 20; i++) if ((await p.validate(R1001, "R1001")).ruleId === "R1001") return true;
      return false;
    };
    expect(await answered()).toBe(true);
    const base = p.replaced;
    let stopped = 0;
    const slow = await p.validate(SLOW, "R9990", { onStopped: () => stopped++ });
    expect(stopped).toBe(1);
    expect(slow.ruleId).toBeNull();
    expect(slow.issues).toHaveLength(1);
    expect(slow.issues[0]?.message).toMatch(/^validation took longer than 0\.05 s and was stopped/);
    expect(p.replaced).toBe(base + 1);
    const test = await p.test({ draftYaml: SLOW, eventsText: "{}", useExamples: false }, () => defaultState());
    expect(test).toMatchObject({ status: "refused", message: expect.stringMatching(/^The test run took longer than/) });
    expect(p.replaced).toBe(base + 2);
    // The replacement thread answers the next drafts (once warm, as above).
    expect(await answered()).toBe(true);
  });

  it("refuses a job with BUSY once maxQueued jobs wait", async () => {
    const p = pool({ maxQueued: 2, timeoutMs: 10_000 });
    await p.validate(R1001, "R1001");
    const running = p.validate(SLOW, "a");
    const queued = [p.validate(R1001, "b"), p.validate(R1001, "c")];
    expect(p.load).toEqual({ queued: 2, running: 1 });
    const refused = await p.validate(R1001, "d").then(
      () => null,
      (err: unknown) => err,
    );
    expect(isTtpError(refused) && refused.code).toBe("BUSY");
    const settled = Promise.allSettled([running, ...queued]);
    await p.close();
    for (const r of await settled) expect(r.status === "rejected" && isTtpError(r.reason) && r.reason.code).toBe("BUSY");
  });

  it("returns at most MAX_ISSUES issues and says how many more there are", async () => {
    const p = pool();
    const many = `${R1001}extra:\n${Array.from({ length: 400 }, (_, i) => `  - {technique_id: X${i}}`).join("\n")}\n`.replace(/^emits:\n/m, `emits:\n${Array.from({ length: 300 }, () => "  - {technique_id: X, tactic: Y, confidence: 7}").join("\n")}\n`);
    const here = parseRule(many, { source: "m" }).issues;
    expect(here.length).toBeGreaterThan(MAX_ISSUES);
    const there = (await p.validate(many, "m")).issues;
    expect(there).toHaveLength(MAX_ISSUES + 1);
    expect(there.slice(0, MAX_ISSUES)).toEqual(here.slice(0, MAX_ISSUES));
    expect(there[MAX_ISSUES]?.message).toBe(`…and ${here.length - MAX_ISSUES} more problems (only the first ${MAX_ISSUES} are shown)`);
  });

  it("rejects what is queued when closed", async () => {
    const p = pool({ timeoutMs: 10_000 });
    const a = p.validate(SLOW, "a");
    const b = p.validate(R1001, "b");
    const settled = Promise.allSettled([a, b]);
    await p.close();
    for (const r of await settled) expect(r.status === "rejected" && isTtpError(r.reason) && r.reason.code).toBe("BUSY");
  });
});
