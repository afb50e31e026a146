import { describe, expect, it } from "vitest";
import { z } from "zod";
import { withState } from "../rules/compiled";
import { parseRule } from "../rules/parse-rule";
import type { CompiledRule } from "../rules/types";
import type { RuleState } from "../state/semantics";
import { registerAnalyzer } from "./analyzers";
import { SKIP } from "./analyzers/types";
import { Engine } from "./engine";
import { tagId } from "./tag-id";
import type { TtpEvent } from "./types";

const NOW = Date.parse("2026-12-05T12:00:00Z");

function rule(yaml: string): CompiledRule {
  const r = parseRule(yaml, { source: "t", runTests: false });
  if (!r.rule) throw new Error(JSON.stringify(r.issues));
  return r.rule;
}

const BEACON = rule(`rule_id: R0031
rule_version: 1
name: beacon
applies_to: [session]
match:
  kind: lifter:behavioral_beaconing
  min_interval_s: 10
  max_jitter_pct: 0.15
emits:
  - {technique_id: T1071, tactic: TA0011, confidence: 0.8}
  - {technique_id: T1029, tactic: TA0010, confidence: 0.85}
evidence_fields: [beacon_interval_s, beacon_jitter_pct]
`);

const ABUSE = rule(`rule_id: R0054
rule_version: 2
name: abuse
applies_to: [intel]
match: {kind: lifter:intel_abuseipdb}
emits:
  - {technique_id: T1110, tactic: TA0006, confidence: 0.7}
  - {technique_id: T1190, tactic: TA0001, confidence: 0.7}
evidence_fields: [abuseipdb_categories, abuseipdb_score]
`);

const SPRAY = rule(`rule_id: R0003
rule_version: 1
name: spray
applies_to: [identity]
match: {kind: lifter:identity_password_spraying, account_threshold: 3}
emits:
  - {technique_id: T1110, sub_technique_id: T1110.003, tactic: TA0006, confidence: 0.9}
evidence_fields: [shared_password_hash, account_count]
`);

const PATTERN = rule(`rule_id: R1100
rule_version: 1
name: pattern_on_session
applies_to: [session]
match: {pattern: 'curl', field: command_text}
emits:
  - {technique_id: T1105, tactic: TA0011, confidence: 0.5}
`);

const session = (payload: Record<string, unknown>, id = "s1"): TtpEvent => ({ source_kind: "session", source_id: id, attacker_uuid: "a-1", payload });
const state = (s: Partial<RuleState>): RuleState => ({ state: "enabled", confidence_max: null, expires_at: null, reason: null, set_by: null, set_at: null, ...s });

describe("Engine with analyzer rules", () => {
  it("one tag per emits entry with DECNET's tag id, the copied evidence (own properties only) and the ids of the event", () => {
    const e = new Engine({ clock: () => NOW });
    // Names validation refuses, as a definition stored before that could still carry them.
    e.replaceAll([Object.freeze({ ...BEACON, evidenceFields: [...BEACON.evidenceFields, "constructor", "__proto__", "toString"] })]);
    const tags = e.evaluate(session(JSON.parse('{"beacon_interval_s": 60, "beacon_jitter_pct": 0.05, "__proto__": {"polluted": 1}}')));
    expect(tags.map((t) => [t.rule_id, t.technique_id, t.confidence])).toEqual([
      ["R0031", "T1071", 0.8],
      ["R0031", "T1029", 0.85],
    ]);
    expect(tags[0]?.uuid).toBe(tagId("session", "s1", "R0031", 1, "T1071", null));
    expect(tags[0]?.attacker_uuid).toBe("a-1");
    expect(tags[0]?.evidence).toEqual({ beacon_interval_s: 60, beacon_jitter_pct: 0.05 });
    expect(Object.getPrototypeOf(tags[0]?.evidence)).toBe(Object.prototype);
    expect(e.evaluate(session({ beacon_interval_s: 9, beacon_jitter_pct: 0.05 }))).toEqual([]);
  });

  it("pattern and analyzer rules of one kind in one evaluate: pattern tags first", () => {
    const e = new Engine();
    e.replaceAll([BEACON, PATTERN]);
    const tags = e.evaluate(session({ beacon_interval_s: 60, beacon_jitter_pct: 0.05, command_text: "curl x" }));
    expect(tags.map((t) => t.rule_id)).toEqual(["R1100", "R0031", "R0031"]);
    expect(e.matchingRuleIds(session({ beacon_interval_s: 60, beacon_jitter_pct: 0.05, command_text: "curl x" }))).toEqual(["R0031", "R1100"]);
  });

  it("state: disabled emits nothing, clipped lowers, an expired disable fires again at its instant, expired clip no longer clips", () => {
    const e = new Engine({ clock: () => NOW });
    e.replaceAll([BEACON]);
    const ev = session({ beacon_interval_s: 60, beacon_jitter_pct: 0.05 });
    e.restamp("R0031", state({ state: "disabled" }));
    expect(e.evaluate(ev)).toEqual([]);
    e.restamp("R0031", state({ state: "clipped", confidence_max: 0.5 }));
    expect(e.evaluate(ev).map((t) => t.confidence)).toEqual([0.5, 0.5]);
    const until = new Date(NOW + 1000).toISOString();
    e.restamp("R0031", state({ state: "disabled", expires_at: until }));
    expect(e.evaluate(ev, NOW + 999)).toEqual([]);
    expect(e.evaluate(ev, NOW + 1000).length).toBe(2);
    e.restamp("R0031", state({ state: "clipped", confidence_max: 0.1, expires_at: until }));
    expect(e.evaluate(ev, NOW).map((t) => t.confidence)).toEqual([0.1, 0.1]);
    expect(e.evaluate(ev, NOW + 1000).map((t) => t.confidence)).toEqual([0.8, 0.85]);
  });

  it("install, delete and hot swap apply to analyzer rules", () => {
    const e = new Engine();
    const ev = session({ beacon_interval_s: 60, beacon_jitter_pct: 0.05 });
    expect(e.install(BEACON)).toBe(true);
    expect(e.evaluate(ev).length).toBe(2);
    const stricter = rule(BEACON.yamlText.replace("min_interval_s: 10", "min_interval_s: 120"));
    e.install(stricter);
    expect(e.evaluate(ev)).toEqual([]);
    e.install(withState(BEACON, state({ state: "clipped", confidence_max: 0.3 })));
    expect(e.evaluate(ev).map((t) => t.confidence)).toEqual([0.3, 0.3]);
    e.delete("R0031");
    expect(e.evaluate(ev)).toEqual([]);
    expect(e.stats()).toMatchObject({ rules: 0, analyzerRules: 0 });
  });

  it("intel: tags only for emits entries with a decision; confidence is base × multiplier, then the clip", () => {
    const e = new Engine();
    e.replaceAll([ABUSE]);
    const ev: TtpEvent = { source_kind: "intel", source_id: "src", attacker_uuid: "a", payload: { abuseipdb_score: 95, abuseipdb_categories: [18, 22] } };
    const tags = e.evaluate(ev);
    expect(tags.map((t) => [t.technique_id, t.confidence])).toEqual([["T1110", 0.7 * 0.95]]);
    expect(tags[0]?.uuid).toBe("9ee655f1-fdf5-56a7-a82b-57ecffb97c32");
    e.restamp("R0054", state({ state: "clipped", confidence_max: 0.6 }));
    expect(e.evaluate(ev).map((t) => t.confidence)).toEqual([0.6]);
    e.restamp("R0054", state({ state: "clipped", confidence_max: 0.9 }));
    expect(e.evaluate(ev).map((t) => t.confidence)).toEqual([0.7 * 0.95]);
  });

  it("identity analyzers: attacker_uuid null on the tag, nothing without identity_uuid", () => {
    const e = new Engine();
    e.replaceAll([SPRAY]);
    const payload = { shared_password_hash: "h", account_count: 3 };
    expect(e.evaluate({ source_kind: "identity", source_id: "i", attacker_uuid: "a", payload })).toEqual([]);
    const tags = e.evaluate({ source_kind: "identity", source_id: "i", attacker_uuid: "a", identity_uuid: "id-1", payload });
    expect(tags.map((t) => [t.sub_technique_id, t.attacker_uuid, t.identity_uuid])).toEqual([["T1110.003", null, "id-1"]]);
  });

  it("counts ill-typed fields per kind as skipped", () => {
    const e = new Engine();
    e.replaceAll([BEACON]);
    e.evaluate(session({ beacon_interval_s: "60", beacon_jitter_pct: 0.05 }));
    e.evaluate(session({}));
    expect(e.analyzerCounts().get("lifter:behavioral_beaconing")).toEqual({ skipped: 1, errors: 0 });
  });

  it("a predicate that throws is contained to that rule and event: other rules' tags come out, the failure is counted and reported", () => {
    registerAnalyzer(
      { kind: "lifter:test_thrower", family: "behavioral", summary: "throws on demand", params: z.looseObject({}), patternParams: [], reads: ["boom"] },
      {
        kind: "lifter:test_thrower",
        family: "behavioral",
        prepare: () => null,
        evaluate: (_c, p) => {
          if (p.boom === true) throw new Error("kaboom");
          return p.boom === "skip" ? SKIP : { evidence: {} };
        },
      },
    );
    const thrower = rule(`rule_id: R0000
rule_version: 1
name: thrower
applies_to: [session]
match: {kind: lifter:test_thrower}
emits:
  - {technique_id: T1059, tactic: TA0002, confidence: 0.5}
`);
    const seen: unknown[] = [];
    const e = new Engine({ onAnalyzerError: (f) => seen.push(f) });
    e.replaceAll([thrower, BEACON]);
    const tags = e.evaluate(session({ boom: true, beacon_interval_s: 60, beacon_jitter_pct: 0.05 }));
    expect(tags.map((t) => t.rule_id)).toEqual(["R0031", "R0031"]);
    expect(seen).toEqual([{ ruleId: "R0000", kind: "lifter:test_thrower", message: "kaboom" }]);
    expect(e.takeAnalyzerFailures()).toEqual(seen);
    expect(e.takeAnalyzerFailures()).toEqual([]);
    expect(e.analyzerCounts().get("lifter:test_thrower")).toEqual({ skipped: 0, errors: 1 });
    expect(e.evaluate(session({ boom: false })).map((t) => t.rule_id)).toEqual(["R0000"]);
  });

  it("the e-mail body reader is called at most once per event, lazily, and a throwing reader is no body", () => {
    const bec = rule(`rule_id: R0047
rule_version: 1
name: bec
applies_to: [email]
match:
  kind: lifter:email_bec
  subject_keywords: [urgent]
  body_action_keywords: [transfer]
emits:
  - {technique_id: T1566, sub_technique_id: T1566.003, tactic: TA0001, confidence: 0.85}
`);
    const enc = rule(`rule_id: R0048
rule_version: 1
name: enc
applies_to: [email]
match: {kind: lifter:email_encoded_payload, min_bytes: 4096}
emits:
  - {technique_id: T1027, tactic: TA0005, confidence: 0.9}
`);
    let reads = 0;
    const e = new Engine({
      emailBodyReader: (p) => {
        reads++;
        if (p.stored_as === "bad") throw new Error("io");
        return "please transfer the funds";
      },
    });
    e.replaceAll([bec, enc]);
    const ev = (payload: Record<string, unknown>): TtpEvent => ({ source_kind: "email", source_id: "m", attacker_uuid: "a", payload });
    expect(e.evaluate(ev({ subject: "URGENT", decky_id: "d", stored_as: "x" })).map((t) => t.rule_id)).toEqual(["R0047"]);
    expect(reads).toBe(1);
    expect(e.evaluate(ev({ subject: "URGENT", body_text: "transfer now" })).map((t) => t.rule_id)).toEqual(["R0047"]);
    expect(reads).toBe(1);
    expect(e.evaluate(ev({ subject: "URGENT", decky_id: "d", stored_as: "bad" }))).toEqual([]);
    expect(reads).toBe(2);
  });
});
