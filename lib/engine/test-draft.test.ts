import { describe, expect, it } from "vitest";
import { MAX_SAMPLE_BYTES, MAX_SAMPLE_EVENTS } from "./sample-events";
import { defaultState, type RuleState } from "../state/semantics";
import { testDraft, type TestDraftInput, type TestDraftResult } from "./test-draft";

const NOW = Date.parse("2026-03-01T12:00:00Z");

const DRAFT = `# a draft, comments kept
rule_id: R9001
rule_version: 2
name: uname_probe
applies_to: [command, auth_attempt]
match:
  pattern: '(?i)\\buname\\s+-a\\b'
  field: command_text
emits:
  - technique_id: T1082
    tactic: TA0007
    confidence: 0.7
  - technique_id: T1059
    sub_technique_id: T1059.004
    tactic: TA0002
    confidence: 0.6
evidence_fields: [command_text]
tests:
  - event:
      payload:
        command_text: uname -a
    expect: [T1082, T1059.004]
  - event:
      payload:
        command_text: ls -la
    expect: []
  - event:
      payload:
        command_text: id
    expect: [T1082]
`;

const ANALYZER = `rule_id: R9002
rule_version: 1
name: beacon
applies_to: [session]
match:
  kind: "lifter:behavioral_beaconing"
  min_interval_s: 10
  max_jitter_pct: 0.15
emits:
  - technique_id: T1071
    tactic: TA0011
    confidence: 0.8
  - technique_id: T1029
    tactic: TA0010
    confidence: 0.85
evidence_fields: [beacon_interval_s, beacon_jitter_pct]
tests:
  - event: {payload: {beacon_interval_s: 60, beacon_jitter_pct: 0.05}}
    expect: [T1071, T1029]
  - event: {payload: {beacon_interval_s: 5, beacon_jitter_pct: 0.05}}
    expect: []
`;

const clipped = (max: number, expiresAt: string | null = null): RuleState => ({
  state: "clipped",
  confidence_max: max,
  expires_at: expiresAt,
  reason: "noisy",
  set_by: "alice",
  set_at: "2026-03-01T11:00:00Z",
});

const line = (kind: string, payload: Record<string, unknown>, extra: Record<string, unknown> = {}): string => JSON.stringify({ source_kind: kind, ...extra, payload });

async function run(input: Partial<TestDraftInput> & { eventsText?: string }, state: RuleState = defaultState()): Promise<TestDraftResult> {
  return testDraft({ draftYaml: DRAFT, getState: () => state, nowMs: NOW, ...input });
}

async function ran(input: Partial<TestDraftInput>, state?: RuleState) {
  const r = await run(input, state);
  if (r.status !== "ran") throw new Error(`expected a run, got ${JSON.stringify(r)}`);
  return r;
}

describe("testDraft", () => {
  it("a matching event gives its tags with the confidence after the stored clip", async () => {
    const r = await ran({ eventsText: line("command", { command_text: "uname -a; id", user: "root" }, { source_id: "cmd_7" }) }, clipped(0.3));
    expect(r.state.clip).toBe(0.3);
    expect(r.state.disabled).toBe(false);
    const [o] = r.outcomes;
    expect(o?.matched).toBe(true);
    expect(o?.sourceId).toBe("cmd_7");
    expect(o?.tags).toEqual([
      { tactic: "TA0007", techniqueId: "T1082", subTechniqueId: null, confidence: 0.3, declaredConfidence: 0.7, unclippedConfidence: 0.7, clipped: true, belowSinkFloor: false, evidence: { command_text: "uname -a; id", user: "root" } },
      { tactic: "TA0002", techniqueId: "T1059", subTechniqueId: "T1059.004", confidence: 0.3, declaredConfidence: 0.6, unclippedConfidence: 0.6, clipped: true, belowSinkFloor: false, evidence: { command_text: "uname -a; id", user: "root" } },
    ]);
    expect(o?.text).toBe("matched: T1082 (TA0007) confidence 0.3 (clipped from 0.7); T1059.004 (TA0002) confidence 0.3 (clipped from 0.6)");
    expect(r.summary).toMatchObject({ events: 1, matched: 1, notMatched: 0, malformed: 0 });
  });

  it("an enabled rule keeps the confidences as written; an expired clip is no clip", async () => {
    const enabled = await ran({ eventsText: line("command", { command_text: "uname -a" }) });
    expect(enabled.outcomes[0]?.tags.map((t) => t.confidence)).toEqual([0.7, 0.6]);
    const expired = await ran({ eventsText: line("command", { command_text: "uname -a" }) }, clipped(0.1, "2026-03-01T11:59:59Z"));
    expect(expired.state.clip).toBeNull();
    expect(expired.outcomes[0]?.tags.map((t) => t.confidence)).toEqual([0.7, 0.6]);
    const low = await ran({ eventsText: line("command", { command_text: "uname -a" }) }, clipped(0.2));
    expect(low.outcomes[0]?.tags.every((t) => t.belowSinkFloor)).toBe(true);
  });

  it("the stored state of the draft's rule_id is the one applied", async () => {
    const asked: string[] = [];
    await testDraft({ draftYaml: DRAFT, eventsText: line("command", { command_text: "uname -a" }), nowMs: NOW, getState: (id) => (asked.push(id), defaultState()) });
    expect(asked).toEqual(["R9001"]);
  });

  it("a disabled rule says so and shows what it would emit if enabled", async () => {
    const r = await ran(
      { eventsText: line("command", { command_text: "uname -a" }) },
      { state: "disabled", confidence_max: null, expires_at: null, reason: "broken", set_by: "bob", set_at: "2026-03-01T10:00:00Z" },
    );
    expect(r.state.disabled).toBe(true);
    expect(r.state.message).toMatch(/R9001 is disabled.*what it would emit if enabled/);
    expect(r.outcomes[0]?.matched).toBe(true);
    expect(r.outcomes[0]?.text).toMatch(/^would match if enabled: T1082 \(TA0007\) confidence 0\.7/);
  });

  it("says why each non-matching event did not match", async () => {
    const events = [
      line("http_request", { raw_url: "/uname -a" }),
      line("command", { user: "root" }),
      line("command", { command_text: 42 }),
      line("command", { command_text: "ls -la /tmp" }),
    ].join("\n");
    const r = await ran({ eventsText: events });
    expect(r.outcomes.map((o) => o.noMatch?.code)).toEqual(["kind-not-applicable", "field-missing", "field-not-string", "pattern-no-match"]);
    expect(r.outcomes.map((o) => o.text)).toEqual([
      'no match: source_kind "http_request" is not in applies_to (command, auth_attempt)',
      'no match: payload has no "command_text", the field the pattern reads',
      "no match: payload.command_text is a number, not a string",
      "no match: the pattern did not match payload.command_text",
    ]);
    expect(r.summary).toMatchObject({ events: 4, matched: 0, notMatched: 4 });
  });

  it("a kind without a default field and no match.field is explained", async () => {
    const draft = DRAFT.replace("applies_to: [command, auth_attempt]", "applies_to: [command, session]").replace("  field: command_text\n", "");
    const r = await testDraft({ draftYaml: draft, eventsText: line("session", { command_text: "uname -a" }), getState: defaultState, nowMs: NOW });
    expect(r.status === "ran" && r.outcomes[0]?.noMatch?.code).toBe("no-field-for-kind");
  });

  it("analyzer rules run with the real analyzer: tags with evidence, the clip, and why an event did not fire", async () => {
    const events = [
      line("session", { beacon_interval_s: 60, beacon_jitter_pct: 0.05 }),
      line("session", { beacon_interval_s: 9, beacon_jitter_pct: 0.05 }),
      line("session", { beacon_interval_s: "60", beacon_jitter_pct: 0.05 }),
    ].join("\n");
    const r = await testDraft({ draftYaml: ANALYZER, eventsText: events, getState: () => clipped(0.5), nowMs: NOW });
    if (r.status !== "ran") throw new Error(r.status);
    expect(r.analyzer).toBe(true);
    expect(r.outcomes[0]?.tags.map((t) => [t.techniqueId, t.confidence, t.clipped])).toEqual([
      ["T1071", 0.5, true],
      ["T1029", 0.5, true],
    ]);
    expect(r.outcomes[0]?.tags[0]?.evidence).toEqual({ beacon_interval_s: 60, beacon_jitter_pct: 0.05 });
    expect(r.outcomes[1]?.noMatch?.code).toBe("analyzer-no-fire");
    expect(r.outcomes[1]?.noMatch?.message).toMatch(/did not fire: its condition does not hold \(reads .*beacon_interval_s/);
    expect(r.outcomes[2]?.noMatch?.message).toMatch(/skipped the event: a field it reads has the wrong type/);
    const ex = await testDraft({ draftYaml: ANALYZER, useExamples: true, getState: defaultState, nowMs: NOW });
    expect(ex.status === "ran" && ex.summary).toMatchObject({ passed: 2, failed: 0 });
  });

  it("a malformed line is reported with its number and the other lines still run", async () => {
    const text = [line("command", { command_text: "uname -a" }), "{not json", "", line("command", {}).replace('"source_kind":"command",', ""), line("command", { command_text: "ls" })].join("\n");
    const r = await ran({ eventsText: text });
    expect(r.malformed).toEqual([
      { index: 2, line: 2, message: expect.stringMatching(/^not valid JSON/) as unknown as string },
      { index: 3, line: 4, message: expect.stringContaining("source_kind") as unknown as string },
    ]);
    expect(r.outcomes.map((o) => [o.line, o.matched])).toEqual([
      [1, true],
      [5, false],
    ]);
    expect(r.outcomes.map((o) => o.label)).toEqual(["event 1 (line 1)", "event 4 (line 5)"]);
    expect(r.summary.malformed).toBe(2);
  });

  it("an invalid draft returns its issues with line:column and runs nothing", async () => {
    let asked = false;
    const bad = DRAFT.replace("confidence: 0.7", "confidence: 7").replace("'(?i)\\buname\\s+-a\\b'", "'(?<=x)uname'");
    const r = await testDraft({ draftYaml: bad, eventsText: line("command", { command_text: "uname -a" }), nowMs: NOW, getState: () => ((asked = true), defaultState()) });
    expect(r.status).toBe("invalid-draft");
    if (r.status !== "invalid-draft") return;
    const errors = r.issues.filter((i) => i.severity === "error");
    expect(errors.map((i) => [i.path.join("."), i.line])).toEqual(
      expect.arrayContaining([
        ["match.pattern", 7],
        ["emits.0.confidence", 12],
      ]),
    );
    expect(errors.every((i) => i.column >= 1)).toBe(true);
    expect(asked).toBe(false);
  });

  it("the draft's tests: examples run with pass/fail against expect", async () => {
    const r = await ran({ useExamples: true, eventsText: "ignored" }, clipped(0.3));
    expect(r.mode).toBe("examples");
    expect(r.outcomes.map((o) => [o.label, o.example?.pass])).toEqual([
      ["tests[0] (line 19)", true],
      ["tests[1] (line 23)", true],
      ["tests[2] (line 27)", false],
    ]);
    expect(r.outcomes[2]?.text).toBe("no match: the pattern did not match payload.command_text — fail: expected T1082 but nothing was emitted");
    expect(r.outcomes[0]?.tags[0]?.confidence).toBe(0.3);
    expect(r.summary).toMatchObject({ passed: 2, failed: 1 });
  });

  it("pasted events also report the draft's failing examples (a save would be refused)", async () => {
    const r = await ran({ eventsText: line("command", { command_text: "uname -a" }) });
    expect(r.exampleFailures).toHaveLength(1);
    expect(r.exampleFailures[0]).toMatchObject({ index: 2, line: 27 });
  });

  it("a draft without examples: 'Use the rule's examples' is refused with a message", async () => {
    const r = await testDraft({ draftYaml: DRAFT.slice(0, DRAFT.indexOf("tests:")), useExamples: true, getState: defaultState, nowMs: NOW });
    expect(r).toEqual({ status: "refused", field: null, message: expect.stringContaining("no tests: examples") as unknown as string });
  });

  it(`accepts ${MAX_SAMPLE_EVENTS} events and refuses one more`, async () => {
    const one = line("command", { command_text: "uname -a" });
    const ok = await ran({ eventsText: Array(MAX_SAMPLE_EVENTS).fill(one).join("\n") });
    expect(ok.outcomes).toHaveLength(MAX_SAMPLE_EVENTS);
    const over = await run({ eventsText: Array(MAX_SAMPLE_EVENTS + 1).fill(one).join("\n") });
    expect(over).toEqual({ status: "refused", field: "eventsText", message: "There are 1,001 events; at most 1,000 can be tested at once." });
  });

  it("accepts exactly 1 MiB of text and refuses one byte more", async () => {
    const one = line("command", { command_text: "uname -a" });
    const exact = `${one}\n${" ".repeat(MAX_SAMPLE_BYTES - one.length - 1)}`;
    expect(Buffer.byteLength(exact)).toBe(MAX_SAMPLE_BYTES);
    expect((await ran({ eventsText: exact })).outcomes).toHaveLength(1);
    const over = await run({ eventsText: `${exact} ` });
    expect(over).toMatchObject({ status: "refused", field: "eventsText", message: expect.stringContaining("at most 1 MiB") as unknown as string });
  });

  it("refuses empty input", async () => {
    expect(await run({ eventsText: "  \n " })).toMatchObject({ status: "refused", field: "eventsText" });
  });
});
