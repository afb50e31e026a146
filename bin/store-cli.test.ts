// The ttp CLI against a shared database, each command in its own OS process (SPEC §3.2, §7),
// on an SQLite file and on PostgreSQL; plus the bad-input corpus (in process and through the CLI).
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { NotFoundError, ValidationError } from "../lib/errors";
import { ruleYaml } from "../lib/rules/testing/fixtures";
import { DEFAULT_STATE, MAX_REASON_LENGTH } from "../lib/state/semantics";
import { DatabaseRuleStore } from "../lib/store/database-store";
import {
  crossBackends,
  killAllChildren,
  readRaw,
  spawnCli,
  spawnProc,
  type ChildProc,
  type Message,
  type RawTables,
} from "../lib/store/testing/cross-process";
import { runCli, type CliResult } from "./testing/run-cli";

const ISO = expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);

function rulesDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ttp-cli-store-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

/** A CLI result as one object, so a failed expectation shows the command's whole output. */
function outcome(r: CliResult): { code: number | null; stdout: string; stderr: string } {
  return { code: r.code, stdout: r.stdout, stderr: r.stderr };
}

async function catchError(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error("expected the call to throw");
}

const changesOf = (p: ChildProc): Message[] => p.ofType("change");

describe.each(crossBackends().map((b) => [b.name, b] as const))("ttp CLI across processes: %s", (_name, backend) => {
  const stores: DatabaseRuleStore[] = [];

  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());
  afterEach(async () => {
    await killAllChildren();
    for (const s of stores.splice(0)) await s.close();
  });

  async function seeded(ids: string[]): Promise<{ url: string; store: DatabaseRuleStore; env: Record<string, string> }> {
    const url = await backend.freshUrl();
    const store = new DatabaseRuleStore({ url, expiry: false });
    stores.push(store);
    await store.ready();
    for (const id of ids) await store.upsertRule(ruleYaml(id), { actor: "seed" });
    return { url, store, env: { TTP_RULE_STORE: "database", DATABASE_URL: url } };
  }

  it("a CLI write in one process is seen by `ttp tail --json` in another: state, delete, import", async () => {
    const { store, env } = await seeded(["R1", "R2"]);
    const h0 = await store.headSeq();
    const tail = spawnCli(["tail", "--json", "--from-seq", String(h0)], { ...process.env, ...env, TTP_LOG_LEVEL: "warn" });

    const set = await runCli(["state", "set", "R1", "disabled", "--reason", "x", "--by", "ana"], { env });
    await tail.waitUntil(() => tail.messages.length >= 1, "the state line");
    const del = await runCli(["rules", "delete", "R2", "--by", "ana"], { env });
    await tail.waitUntil(() => tail.messages.length >= 2, "the deleted line");
    const dir = rulesDir({ "R1.yaml": ruleYaml("R1", { extra: "# edited\n" }), "R3.yaml": ruleYaml("R3"), "R4.yaml": ruleYaml("R4", { version: 2 }) });
    const imp = await runCli(["rules", "import", dir, "--by", "bob"], { env });
    await tail.waitUntil(() => tail.messages.length >= 5, "three definition lines");
    // A marker written afterwards: once it is there, anything duplicated would be too.
    await store.setState("R3", { state: "disabled", reason: "marker" }, "carol");
    await tail.waitUntil(() => tail.messages.some((m) => m.reason === "marker"), "the marker line");

    expect(tail.messages).toEqual([
      {
        seq: h0 + 1,
        kind: "state",
        rule_id: "R1",
        actor: "ana",
        at: ISO,
        state: "disabled",
        confidence_max: null,
        expires_at: null,
        reason: "x",
        set_by: "ana",
        set_at: ISO,
        auto_revert: false,
      },
      { seq: h0 + 2, kind: "deleted", rule_id: "R2", actor: "ana", at: ISO },
      { seq: h0 + 3, kind: "definition", rule_id: "R1", actor: "bob", at: ISO, rule_version: 1, revision: 2 },
      { seq: h0 + 4, kind: "definition", rule_id: "R3", actor: "bob", at: ISO, rule_version: 1, revision: 1 },
      { seq: h0 + 5, kind: "definition", rule_id: "R4", actor: "bob", at: ISO, rule_version: 2, revision: 1 },
      expect.objectContaining({ seq: h0 + 6, kind: "state", rule_id: "R3", actor: "carol", reason: "marker" }),
    ]);
    const history = (await store.history({ limit: 10 })).reverse().filter((e) => e.seq > h0);
    expect(tail.messages.map((m) => [m.seq, m.at])).toEqual(history.map((e) => [e.seq, e.at]));

    // The writing commands themselves reported success like they do on any backend.
    expect(outcome(set)).toEqual({ code: 0, stdout: expect.stringMatching(/^\{.*\}\n$/), stderr: "" });
    expect(JSON.parse(set.stdout)).toEqual({ rule_id: "R1", ...(await store.getState("R1")) });
    expect(JSON.parse(set.stdout)).toMatchObject({ set_at: tail.messages[0]?.set_at });
    expect(outcome(del)).toEqual({ code: 0, stdout: "", stderr: "deleted R2\n" });
    expect(outcome(imp)).toEqual({ code: 0, stdout: "", stderr: "imported 3 rule(s): 3 written, 0 unchanged\n" });
  });

  it("state set by one process is printed by `ttp state get` in a new process (and survives reopening)", async () => {
    const { url, store, env } = await seeded(["R1"]);
    const set = await runCli(["state", "set", "R1", "clipped", "--confidence-max", "0.25", "--expires", "2h", "--reason", "noisy", "--by", "ana"], { env });
    expect(outcome(set)).toEqual({ code: 0, stdout: expect.stringMatching(/^\{.*\}\n$/), stderr: "" });
    const stored = JSON.parse(set.stdout) as Record<string, unknown>;
    expect(stored).toMatchObject({ rule_id: "R1", state: "clipped", confidence_max: 0.25, expires_at: ISO, reason: "noisy", set_by: "ana", set_at: ISO });

    const get = await runCli(["state", "get", "R1"], { env });
    expect(outcome(get)).toEqual({ code: 0, stdout: `${JSON.stringify(stored)}\n`, stderr: "" });

    const reopened = new DatabaseRuleStore({ url, expiry: false });
    stores.push(reopened);
    const { rule_id: _ruleId, ...state } = stored;
    expect(await reopened.getState("R1")).toEqual(state);
    expect(await store.getState("R1")).toEqual(state);
  });

  it("`ttp state set` applies TTP_REQUIRE_REASON and TTP_MAX_EXPIRY from its environment, as the dashboard does", async () => {
    const { store, env } = await seeded(["R1"]);
    const strict = { ...env, TTP_REQUIRE_REASON: "true", TTP_MAX_EXPIRY: "1d" };
    const h0 = await store.headSeq();
    const inTwoDays = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const refused: [string[], RegExp[]][] = [
      [["state", "set", "R1", "disabled", "--by", "ana"], [/^R1:1:1: expires_at is required, at most 1d 0h from now \(TTP_MAX_EXPIRY\)/m, /^R1:1:1: reason is required to disable or clip a rule/m]],
      [["state", "set", "R1", "disabled", "--expires", "7d", "--reason", "noisy", "--by", "ana"], [/^R1:1:1: expires_at must be at most 1d 0h from now/m]],
      [["state", "set", "R1", "clipped", "--confidence-max", "0.2", "--expires", inTwoDays, "--reason", "noisy", "--by", "ana"], [/^R1:1:1: expires_at must be at most 1d 0h from now/m]],
      [["state", "set", "R1", "disabled", "--expires", "2h", "--reason", "  ", "--by", "ana"], [/^R1:1:1: reason is required/m]],
    ];
    const [badPolicy, ...results] = await Promise.all([
      runCli(["state", "set", "R1", "disabled", "--by", "ana"], { env: { ...env, TTP_MAX_EXPIRY: "forever" } }),
      ...refused.map(([args]) => runCli(args, { env: strict })),
    ]);
    refused.forEach(([args, messages], k) => {
      const r = results[k] as CliResult;
      expect({ args, code: r.code, stdout: r.stdout }, r.stderr).toEqual({ args, code: 1, stdout: "" });
      for (const m of messages) expect(r.stderr, `stderr of ttp ${args.join(" ")}`).toMatch(m);
    });
    expect(await store.getState("R1")).toEqual(DEFAULT_STATE);
    expect(await store.headSeq()).toBe(h0);

    expect(outcome(badPolicy as CliResult)).toEqual({ code: 1, stdout: "", stderr: expect.stringMatching(/TTP_MAX_EXPIRY: TTP_MAX_EXPIRY must be a positive duration/) });

    const ok = await runCli(["state", "set", "R1", "disabled", "--expires", "2h", "--reason", "noisy", "--by", "ana"], { env: strict });
    expect(outcome(ok)).toEqual({ code: 0, stdout: expect.stringMatching(/^\{.*\}\n$/), stderr: "" });
    expect(await store.getState("R1")).toMatchObject({ state: "disabled", reason: "noisy", set_by: "ana", expires_at: ISO });
    // Enabling is never limited by the policy.
    expect(outcome(await runCli(["state", "set", "R1", "enabled", "--by", "ana"], { env: strict }))).toMatchObject({ code: 0, stderr: "" });
  }, 60_000);

  it("a rule deleted through the CLI disappears from every subscribed process", async () => {
    const { url, store, env } = await seeded(["R1", "R2", "R3"]);
    await store.setState("R2", { state: "disabled", reason: "doomed" }, "ana");
    const listeners = [0, 1].map((i) => spawnProc("follower", [url], `listener${i}`));
    const ready = await Promise.all(listeners.map((l) => l.waitForMessage((m) => m.type === "ready", "ready")));
    for (const r of ready) expect(r.ids).toEqual(["R1", "R2", "R3"]);

    const del = await runCli(["rules", "delete", "R2", "--by", "ana", "--reason", "retired"], { env });
    for (const l of listeners) {
      const gone = await l.waitUntil(() => changesOf(l).find((c) => c.kind === "deleted"), "the deleted change");
      expect(gone).toMatchObject({ rule_id: "R2", actor: "ana", ids: ["R1", "R3"] });
    }
    await store.setState("R1", { state: "disabled", reason: "marker" }, "ana");
    for (const l of listeners) {
      await l.waitUntil(() => changesOf(l).some((c) => c.reason === "marker"), "the marker change");
      expect(changesOf(l).map((c) => [c.kind, c.rule_id])).toEqual([
        ["deleted", "R2"],
        ["state", "R1"],
      ]);
      expect(changesOf(l).at(-1)?.ids).toEqual(["R1", "R3"]);
    }
    expect((await store.loadCompiled()).rules.map((r) => r.ruleId)).toEqual(["R1", "R3"]);
    expect(await catchError(store.getRule("R2"))).toBeInstanceOf(NotFoundError);
    expect(await store.getState("R2")).toEqual(DEFAULT_STATE);
    const raw = await readRaw(url);
    expect(raw.rules.map((r) => r.ruleId)).toEqual(["R1", "R3"]);
    expect(raw.states.map((s) => s.ruleId)).toEqual(["R1"]);
    expect(raw.changes.filter((c) => c.kind === "deleted")).toEqual([
      expect.objectContaining({ ruleId: "R2", actor: "ana", reason: "retired", after: null }),
    ]);
    expect(outcome(del)).toEqual({ code: 0, stdout: "", stderr: "deleted R2\n" });
  });

  describe("bad input is rejected with a clear message and writes nothing", () => {
    let url: string;
    let store: DatabaseRuleStore;
    let env: Record<string, string>;
    let baseline: RawTables;

    beforeAll(async () => {
      ({ url, store, env } = await seeded(["R1"]));
      stores.splice(stores.indexOf(store), 1);
      await store.setState("R1", { state: "disabled", reason: "before" }, "ana");
      baseline = await readRaw(url);
    });
    afterAll(() => store.close());

    async function expectNothingWritten(): Promise<void> {
      expect(await readRaw(url)).toEqual(baseline);
      expect(await store.headSeq()).toBe(baseline.changes.at(-1)?.seq);
      expect((await store.listRules()).map((r) => [r.ruleId, r.revision, r.yamlText, r.state])).toEqual(
        baseline.rules.map((r) => [r.ruleId, r.revision, r.yaml, baseline.states.find((s) => s.ruleId === r.ruleId)?.state]),
      );
    }

    const BAD_YAML: [string, string, RegExp][] = [
      ["a YAML syntax error", ruleYaml("R2").replace("applies_to: [command]", "applies_to: [command\nmatch_broken: x"), /^R2:7:\d+: YAML: /],
      ["rule_version of the wrong type", ruleYaml("R2").replace("rule_version: 1", "rule_version: two"), /^R2:3:\d+: rule_version .*integer ≥ 1/],
      ["confidence of the wrong type", ruleYaml("R2").replace("confidence: 0.6", "confidence: high"), /^R2:12:\d+: confidence must be a number between 0 and 1/],
      ["an empty applies_to", ruleYaml("R2", { appliesTo: [] }), /^R2:6:\d+: applies_to must list at least one source kind/],
      ["a lookbehind pattern", ruleYaml("R2", { pattern: "(?<=a)b" }), /^R2:8:\d+: pattern: lookbehind .*linear time/],
      ["an invalid rule_id", ruleYaml("R2").replace("rule_id: R2", "rule_id: R-2"), /:2:\d+: rule_id may only contain letters, digits and underscores/],
      ["a sub-technique outside its technique", ruleYaml("R2", { sub: "T1548.001" }), /^R2:11:\d+: sub_technique_id T1548\.001 must extend technique_id T1082/],
      ["a list instead of a mapping", "- a\n- b\n", /:1:1: a rule must be a YAML mapping/],
      ["an empty document", "", /:1:1: the file is empty/],
      ["a broken edit of an existing rule", ruleYaml("R1", { pattern: "(?<=a)b", extra: "# edit\n" }), /^R1:8:\d+: pattern: lookbehind/],
    ];

    it.each(BAD_YAML)("upsertRule: %s", async (_what, yaml, message) => {
      const err = await catchError(store.upsertRule(yaml, { actor: "ana" }));
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toMatch(message);
      expect((err as ValidationError).issues.every((i) => i.line >= 1 && i.column >= 1)).toBe(true);
      await expectNothingWritten();
    });

    const BAD_STATES: [string, unknown, RegExp][] = [
      ["an unknown state", { state: "paused" }, /state must be one of "enabled", "disabled", "clipped"/],
      ["clipped without confidence_max", { state: "clipped" }, /clipped requires confidence_max in \[0, 1\)/],
      ["confidence_max 1", { state: "clipped", confidence_max: 1 }, /confidence_max must be < 1/],
      ["confidence_max -0.1", { state: "clipped", confidence_max: -0.1 }, /confidence_max must be ≥ 0/],
      ['confidence_max "abc"', { state: "clipped", confidence_max: "abc" }, /confidence_max must be a number/],
      ["expires_at in the past", { state: "disabled", expires_at: "2001-01-01T00:00:00Z" }, /expires_at must be in the future/],
      ["expires_at without a zone", { state: "disabled", expires_at: "2031-01-01T00:00:00" }, /expires_at must be a duration like 90s, 30m, 2h, 7d or an ISO-8601 instant with a zone/],
      ["an extra set_by field", { state: "disabled", set_by: "mallory" }, /set_by/],
      ["an extra set_at field", { state: "disabled", set_at: "2031-01-01T00:00:00Z" }, /set_at/],
      ["a null body", null, /expected object, received null/],
      ["an array body", [], /expected object, received array/],
      ["a string body", "x", /expected object, received string/],
      ["an empty object", {}, /state must be one of/],
      ["a non-string reason", { state: "disabled", reason: 5 }, /reason/],
    ];

    it.each(BAD_STATES)("setState: %s", async (_what, body, message) => {
      const err = await catchError(store.setState("R1", body, "ana"));
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).message).toMatch(message);
      expect((err as ValidationError).issues[0]).toMatchObject({ source: "R1", severity: "error" });
      await expectNothingWritten();
    });

    it("setState on an unknown rule and with an empty actor", async () => {
      expect(await catchError(store.setState("NOPE", { state: "disabled" }, "ana"))).toBeInstanceOf(NotFoundError);
      expect(await catchError(store.setState("R1", { state: "disabled" }, " "))).toBeInstanceOf(ValidationError);
      await expectNothingWritten();
    });

    it("clearState refuses a reason over MAX_REASON_LENGTH", async () => {
      const err = await catchError(store.clearState("R1", "ana", "x".repeat(MAX_REASON_LENGTH + 1)));
      expect(err).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).issues).toEqual([expect.objectContaining({ source: "R1", path: ["reason"], message: "reason must be at most 1000 characters" })]);
      await expectNothingWritten();
    });

    it("through the CLI: exit code 1, a message on stderr, nothing written", async () => {
      const dir = rulesDir({ "R5.yaml": ruleYaml("R5"), "R6.yaml": ruleYaml("R9"), "R7.yaml": ruleYaml("R7").replace("applies_to: [command]", "applies_to: [command\nx: y") });
      const cases: [string[], RegExp[]][] = [
        [
          ["rules", "import", dir, "--by", "ana"],
          [/R6\.yaml:2:\d+: rule_id "R9" must equal the file name stem "R6"/, /R7\.yaml:7:\d+: YAML: /, /nothing imported/],
        ],
        [["state", "set", "R1", "clipped", "--confidence-max", "1", "--by", "ana"], [/^R1:1:1: confidence_max must be < 1/m]],
        [["state", "set", "R1", "disabled", "--expires", "2001-01-01T00:00:00Z", "--by", "ana"], [/expires_at must be in the future/]],
        [["state", "set", "R1", "disabled", "--expires", "2031-01-01T00:00:00", "--by", "ana"], [/^R1:1:1: expires_at must be .*with a zone/m]],
        [["state", "set", "R1", "paused", "--by", "ana"], [/^R1:1:1: state must be one of "enabled", "disabled", "clipped"/m]],
        [["state", "set", "R1", "clipped", "--by", "ana"], [/^R1:1:1: clipped requires confidence_max in \[0, 1\)/m]],
        [["state", "clear", "R1", "--by", "ana", "--reason", "x".repeat(1001)], [/^R1:1:1: reason must be at most 1000 characters/m]],
        [["state", "set", "NOPE", "disabled", "--by", "ana"], [/rule NOPE not found/]],
      ];
      const results = await Promise.all(cases.map(([args]) => runCli(args, { env })));
      cases.forEach(([args, messages], k) => {
        const r = results[k] as CliResult;
        expect({ args, code: r.code, stdout: r.stdout }, r.stderr).toEqual({ args, code: 1, stdout: "" });
        for (const m of messages) expect(r.stderr, `stderr of ttp ${args.join(" ")}`).toMatch(m);
      });
      await expectNothingWritten();
    });
  });
});
