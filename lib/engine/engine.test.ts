import { describe, expect, it } from "vitest";
import { compileRule } from "../rules/parse-rule";
import { ruleYaml } from "../rules/testing/fixtures";
import type { RuleState } from "../state/semantics";
import path from "node:path";
import { loadRulesDir } from "../rules/rule-files";
import { Engine } from "./engine";
import { TAG_NAMESPACE, tagId } from "./tag-id";
import type { Tag, TtpEvent } from "./types";

const T0 = Date.parse("2026-11-29T10:00:00Z");
const rule = (id: string, opts: Parameters<typeof ruleYaml>[1] = {}, state?: RuleState) =>
  compileRule(ruleYaml(id, opts), { source: id, ...(state ? { state } : {}) });
const cmd = (text: string, extra: Record<string, unknown> = {}): TtpEvent => ({
  source_kind: "command",
  source_id: "cmd_1",
  attacker_uuid: "att-1",
  session_id: "s-1",
  payload: { command_text: text, ...extra },
});
const st = (s: Partial<RuleState>): RuleState => ({ state: "enabled", confidence_max: null, expires_at: null, reason: null, set_by: "ana", set_at: "2026-11-29T09:00:00.000Z", ...s });

describe("tag ids (DECNET compatible)", () => {
  it("uses DECNET's namespace and reproduces the golden values", () => {
    expect(TAG_NAMESPACE).toBe("1ca31f08-5522-5aae-8371-fe81f0e39de3");
    expect(tagId("command", "cmd_42", "R0014", 2, "T1083", null)).toBe("9aa491e5-f03b-5d8f-9eb5-161becedcdd6");
    expect(tagId("command", "cmd_42", "R0015", 1, "T1548", "T1548.001")).toBe("4fd57b14-c135-544c-97d9-4fabc1051584");
  });
});

describe("Engine", () => {
  it("emits one tag per emits entry with DECNET fields, evidence and command aux fields", () => {
    const e = new Engine({ clock: () => T0 });
    e.replaceAll([rule("R1", { evidence: ["command_text", "absent_key"] })]);
    const tags = e.evaluate(cmd("uname -a", { uid: 0, user: "root", src: "1.2.3.4", pwd: "/root", other: "x" }));
    expect(tags).toEqual([
      {
        uuid: tagId("command", "cmd_1", "R1", 1, "T1082", null),
        source_kind: "command",
        source_id: "cmd_1",
        attacker_uuid: "att-1",
        identity_uuid: null,
        session_id: "s-1",
        decky_id: null,
        tactic: "TA0007",
        technique_id: "T1082",
        sub_technique_id: null,
        confidence: 0.6,
        rule_id: "R1",
        rule_version: 1,
        evidence: { command_text: "uname -a", uid: 0, user: "root", src: "1.2.3.4", pwd: "/root" },
      },
    ]);
  });

  it("searches (unanchored) the default field per kind, or match.field", () => {
    const e = new Engine();
    e.replaceAll([
      rule("R1"),
      rule("R2", { appliesTo: ["http_request"], pattern: "\\.\\./", technique: "T1083" }),
      rule("R3", { appliesTo: ["http_request"], pattern: "(?i)zgrab", field: "user_agent", technique: "T1595", tactic: "TA0043" }),
    ]);
    expect(e.evaluate(cmd("cd /tmp; uname -a; id")).map((t) => t.rule_id)).toEqual(["R1"]);
    const http: TtpEvent = { source_kind: "http_request", source_id: "h1", payload: { raw_url: "/a/../../etc/passwd", user_agent: "Mozilla/5.0 zgrab/0.x" } };
    expect(e.evaluate(http).map((t) => t.rule_id)).toEqual(["R2", "R3"]);
  });

  it("a missing or non-string field does not match; other kinds are not evaluated", () => {
    const e = new Engine();
    e.replaceAll([rule("R1")]);
    expect(e.evaluate({ source_kind: "command", source_id: "x", payload: {} })).toEqual([]);
    expect(e.evaluate({ source_kind: "command", source_id: "x", payload: { command_text: ["uname -a"] } })).toEqual([]);
    expect(e.evaluate({ source_kind: "http_request", source_id: "x", payload: { command_text: "uname -a" } })).toEqual([]);
  });

  it("analyzer rules are kept but not evaluated", () => {
    const analyzer = compileRule(ruleYaml("R9").replace(/match:\n.*\n/, "match:\n  kind: lifter:session_timing\n"), { source: "R9" });
    const e = new Engine();
    e.replaceAll([analyzer, rule("R1")]);
    expect(e.get("R9")).toBe(analyzer);
    expect(e.stats()).toMatchObject({ rules: 2, patternRules: 1, analyzerRules: 1 });
    expect(e.evaluate(cmd("uname -a")).map((t) => t.rule_id)).toEqual(["R1"]);
  });

  it("disabled never fires; clipped lowers (never raises) confidence", () => {
    const e = new Engine({ clock: () => T0 });
    e.replaceAll([rule("R1", { confidence: 0.9 }), rule("R2", { confidence: 0.2, technique: "T1083" })]);
    e.restamp("R1", st({ state: "clipped", confidence_max: 0.5 }));
    e.restamp("R2", st({ state: "clipped", confidence_max: 0.5 }));
    expect(e.evaluate(cmd("uname -a")).map((t) => [t.rule_id, t.confidence])).toEqual([
      ["R1", 0.5],
      ["R2", 0.2],
    ]);
    e.restamp("R1", st({ state: "disabled" }));
    expect(e.evaluate(cmd("uname -a")).map((t) => t.rule_id)).toEqual(["R2"]);
  });

  it("an expired disable fires again at the instant it expires (no store needed)", () => {
    let now = T0;
    const e = new Engine({ clock: () => now });
    e.replaceAll([rule("R1", {}, st({ state: "disabled", expires_at: new Date(T0 + 1000).toISOString() }))]);
    expect(e.evaluate(cmd("uname -a"))).toHaveLength(0);
    now = T0 + 999;
    expect(e.evaluate(cmd("uname -a"))).toHaveLength(0);
    now = T0 + 1000;
    expect(e.evaluate(cmd("uname -a"))).toHaveLength(1);
    now = T0 + 10_000_000;
    expect(e.evaluate(cmd("uname -a"))).toHaveLength(1);
  });

  it("an expired clip stops clipping", () => {
    let now = T0;
    const e = new Engine({ clock: () => now });
    e.replaceAll([rule("R1", { confidence: 0.9 }, st({ state: "clipped", confidence_max: 0.1, expires_at: new Date(T0 + 5).toISOString() }))]);
    expect(e.evaluate(cmd("uname -a"))[0]?.confidence).toBe(0.1);
    now = T0 + 5;
    expect(e.evaluate(cmd("uname -a"))[0]?.confidence).toBe(0.9);
  });

  it("install replaces a definition, evict and delete remove it from every kind", () => {
    const e = new Engine();
    e.replaceAll([rule("R1"), rule("R2", { pattern: "\\bid\\b", technique: "T1033" })]);
    expect(e.evaluate(cmd("uname -a; id")).map((t) => t.rule_id)).toEqual(["R1", "R2"]);
    e.install(rule("R1", { pattern: "\\bwhoami\\b", version: 2 }));
    expect(e.evaluate(cmd("uname -a; id")).map((t) => t.rule_id)).toEqual(["R2"]);
    expect(e.evaluate(cmd("whoami"))[0]?.rule_version).toBe(2);
    expect(e.delete("R2")).toBe(true);
    expect(e.evaluate(cmd("uname -a; id"))).toEqual([]);
    expect(e.get("R2")).toBeUndefined();
    expect(e.evict("R2")).toBe(false);
    e.install(rule("R3", { appliesTo: ["command", "http_request"], pattern: "passwd", field: "command_text" }));
    e.evict("R3");
    expect(e.evaluate({ source_kind: "http_request", source_id: "h", payload: { command_text: "passwd" } })).toEqual([]);
  });

  it("restamp keeps the definition and an in-flight snapshot stays consistent", () => {
    const e = new Engine();
    e.replaceAll([rule("R1")]);
    const before = e.get("R1");
    e.restamp("R1", st({ state: "disabled" }));
    expect(e.get("R1")?.matcher).toBe(before?.matcher);
    expect(before?.state.state).toBe("enabled");
    expect(e.restamp("nope", st({}))).toBe(false);
  });

  it("the ownership predicate keeps foreign rules out", () => {
    const e = new Engine({ owns: (r) => r.ruleId.startsWith("A") });
    e.replaceAll([rule("A1"), rule("B1")]);
    expect(e.rules().map((r) => r.ruleId)).toEqual(["A1"]);
    expect(e.install(rule("B2"))).toBe(false);
    expect(e.size).toBe(1);
  });

  it("many rules of one kind are matched in one pass and tags come out in rule order", () => {
    const rules = Array.from({ length: 50 }, (_, i) => rule(`R${String(i).padStart(3, "0")}`, { pattern: i % 2 === 0 ? "tool" : `tool${i}\\b` }));
    const e = new Engine();
    e.replaceAll(rules.reverse());
    const ids = e.evaluate(cmd("run tool7 now")).map((t) => t.rule_id);
    expect(ids).toEqual([...ids].sort());
    expect(ids).toContain("R007");
    expect(ids).not.toContain("R009");
    expect(ids).toHaveLength(26);
  });

  it("tag ids equal tagId() for every source id length, sub-techniques and non-ASCII ids (cached name tails)", () => {
    const e = new Engine();
    e.replaceAll([rule("R1"), rule("R2", { technique: "T1548", sub: "T1548.001" }), rule("R3", { version: 7, technique: "T1059", sub: "T1059.004" })]);
    const ids = ["", "x", "cmd_42", "é", "漢字🙂", "\ud800", "s".repeat(47), "s".repeat(48), "s".repeat(130)];
    for (let n = 1; n <= 70; n++) ids.push(`cmd_${"7".repeat(n)}`);
    for (let round = 0; round < 2; round++) {
      for (const id of ids) {
        const tags = e.evaluate({ source_kind: "command", source_id: id, payload: { command_text: "uname -a" } });
        expect(tags.map((t) => t.uuid)).toEqual([
          tagId("command", id, "R1", 1, "T1082", null),
          tagId("command", id, "R2", 1, "T1548", "T1548.001"),
          tagId("command", id, "R3", 7, "T1059", "T1059.004"),
        ]);
      }
    }
    const http = e.evaluate({ source_kind: "http_request", source_id: "h", payload: { raw_url: "/" } });
    expect(http).toEqual([]);
  });

  it("matches the exact field value after longer ones (reused input buffer), multi-byte UTF-8 included", () => {
    const e = new Engine();
    e.replaceAll([rule("R1", { pattern: "^uname$" }), rule("R2", { pattern: "é\\s*$", technique: "T1033" })]);
    const fire = (text: string) => e.evaluate(cmd(text)).map((t) => t.rule_id);
    expect(fire("uname -a; cat /etc/passwd; echo é")).toEqual(["R2"]);
    expect(fire("uname")).toEqual(["R1"]);
    expect(fire("unamé")).toEqual(["R2"]);
    expect(fire("unam")).toEqual([]);
    expect(fire("x".repeat(30_000) + "é")).toEqual(["R2"]);
    expect(fire("uname")).toEqual(["R1"]);
    expect(e.matchingRuleIds(cmd("é"))).toEqual(["R2"]);
  });

  it("evidence: keys in order, absent ones omitted, duplicates once; rules with the same keys share one object", () => {
    const e = new Engine();
    e.replaceAll([
      rule("R1"),
      rule("R2", { technique: "T1033" }),
      rule("R3", { technique: "T1059", evidence: ["src", "command_text", "a", "b", "c", "d", "e"] }),
    ]);
    const tags = e.evaluate(cmd("uname -a", { uid: 0, src: "1.2.3.4", a: 1, c: null, e: "E", d: [1] }));
    expect(tags.map((t) => t.rule_id)).toEqual(["R1", "R2", "R3"]);
    const [t1, t2, t3] = tags as [Tag, Tag, Tag];
    expect(Object.entries(t1.evidence)).toEqual([
      ["command_text", "uname -a"],
      ["uid", 0],
      ["src", "1.2.3.4"],
    ]);
    expect(t2.evidence).toBe(t1.evidence);
    expect(Object.entries(t3.evidence)).toEqual([
      ["src", "1.2.3.4"],
      ["command_text", "uname -a"],
      ["a", 1],
      ["c", null],
      ["d", [1]],
      ["e", "E"],
      ["uid", 0],
    ]);
    // The next event gets its own evidence.
    const next = e.evaluate(cmd("uname -a", { uid: 1 }));
    expect(next[0]?.evidence).toEqual({ command_text: "uname -a", uid: 1 });
    expect(next[0]?.evidence).not.toBe(t1.evidence);
  });

  it("reads the clock only when a matching rule has an expiry; an unparsable expiry never expires", () => {
    let calls = 0;
    const e = new Engine({ clock: () => (calls++, T0) });
    e.replaceAll([rule("R1"), rule("R2", { technique: "T1033" }, { ...st({ state: "disabled" }), expires_at: "not a date" })]);
    expect(e.evaluate(cmd("uname -a")).map((t) => t.rule_id)).toEqual(["R1"]);
    expect(calls).toBe(0);
    e.restamp("R2", st({ state: "clipped", confidence_max: 0.1, expires_at: new Date(T0 + 1).toISOString() }));
    expect(e.evaluate(cmd("uname -a")).map((t) => [t.rule_id, t.confidence])).toEqual([
      ["R1", 0.6],
      ["R2", 0.1],
    ]);
    expect(calls).toBe(1);
    expect(e.evaluate(cmd("uname -a"), T0 + 1).map((t) => [t.rule_id, t.confidence])).toEqual([
      ["R1", 0.6],
      ["R2", 0.6],
    ]);
    expect(calls).toBe(1);
  });

  it("match cache: a rule change never gets an answer cached for the previous patterns", () => {
    const e = new Engine();
    e.replaceAll([rule("R2", { pattern: "hit" })]);
    const fire = (text: string) => e.evaluate(cmd(text)).map((t) => t.rule_id);
    expect(fire("hit")).toEqual(["R2"]);
    const before = e.matchCacheTotals();
    e.install(rule("R1", { pattern: "nothing", technique: "T1033" })); // R2 moves from index 0 to 1
    expect(e.matchCacheTotals()).toEqual(before); // counters outlive the rebuilt groups
    expect(fire("hit")).toEqual(["R2"]);
    e.install(rule("R2", { pattern: "other" }));
    expect(fire("hit")).toEqual([]);
    expect(fire("other")).toEqual(["R2"]);
    e.evict("R2");
    expect(fire("other")).toEqual([]);
    expect(e.stats().matchCache.lookups).toBeGreaterThan(0);
  });

  it("match cache: the sample pack gives the same tags with and without it, over repeated traffic", async () => {
    const pack = await loadRulesDir(path.join(__dirname, "../../rules/ttp"));
    const cached = new Engine({ clock: () => T0 });
    const plain = new Engine({ clock: () => T0, matchCacheEntries: 0 });
    cached.replaceAll(pack.rules);
    plain.replaceAll(pack.rules);
    const events: TtpEvent[] = [];
    for (const r of pack.rules) {
      for (const t of r.tests) {
        for (const kind of r.appliesTo) events.push({ source_kind: kind, source_id: `ev_${events.length}`, payload: { ...t.event.payload } });
      }
    }
    expect(events.length).toBeGreaterThan(60);
    let tags = 0;
    for (let pass = 0; pass < 3; pass++) {
      for (const ev of events) {
        const a = cached.evaluate(ev);
        expect(a).toEqual(plain.evaluate(ev));
        tags += a.length;
      }
    }
    expect(tags).toBeGreaterThan(60);
    const stats = cached.stats().matchCache;
    expect(stats.hits).toBeGreaterThan(0);
    expect(plain.stats().matchCache.lookups).toBe(0);
  });

  it("stays linear on adversarial input up to 64 KiB", () => {
    const e = new Engine();
    e.replaceAll([
      rule("R1", { pattern: "(?:echo|printf)\\s+[^\\n;|]*(?:eval\\(|exec\\()[^\\n;|]*>\\s*[^\\n;|]*\\.(?:php|jsp)\\b" }),
      rule("R2", { pattern: "(\\w+\\s?)+$" }),
    ]);
    const evil = ("echo " + "eval(".repeat(13_000)).slice(0, 65_536);
    const t = performance.now();
    e.evaluate(cmd(evil));
    e.evaluate(cmd("a ".repeat(30_000) + "!"));
    expect(performance.now() - t).toBeLessThan(1000);
  });
});
