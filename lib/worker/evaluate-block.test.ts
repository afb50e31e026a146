import { describe, expect, it } from "vitest";
import { z } from "zod";
import { registerAnalyzer } from "../engine/analyzers";
import { SKIP } from "../engine/analyzers/types";
import { Engine } from "../engine/engine";
import type { Tag, TtpEvent } from "../engine/types";
import { parseRule } from "../rules/parse-rule";
import { ruleYaml } from "../rules/testing/fixtures";
import type { CompiledRule } from "../rules/types";
import { BufferRecycler } from "./buffers";
import { evaluateBlock, evaluateEvents, type EvaluateOptions } from "./evaluate-block";
import { TagLineWriter } from "./tag-lines";

function compiled(yaml: string): CompiledRule {
  const r = parseRule(yaml, { source: "test" }).rule;
  if (!r) throw new Error("fixture rule does not compile");
  return r;
}

function engineWith(...yamls: string[]): Engine {
  const e = new Engine();
  e.replaceAll(yamls.map(compiled));
  return e;
}

const block = (text: string) => ({ bytes: Buffer.from(text, "utf8") });
const opts: EvaluateOptions = { minConfidence: 0.3, jsonl: true, rows: true };
const cmd = (id: string, command_text: unknown, extra: Partial<TtpEvent> = {}) => JSON.stringify({ source_kind: "command", source_id: id, payload: { command_text }, ...extra });

describe("TagLineWriter", () => {
  it("writes exactly JSON.stringify(tag) + newline, across events, rules, clips, nulls and non-ASCII text", () => {
    const engine = engineWith(
      ruleYaml("R1", { pattern: "uname", confidence: 0.8, evidence: ["command_text", "note", "n", "b", "z", "big", "list"] }),
      ruleYaml("R2", { pattern: "uname|wget", technique: "T1105", tactic: "TA0011", confidence: 0.6, sub: undefined }),
      ruleYaml("R3", { pattern: "wget", technique: "T1059", sub: "T1059.004", tactic: "TA0002", confidence: 0.9, evidence: [] }),
    );
    const events: TtpEvent[] = [
      { source_kind: "command", source_id: "c1", attacker_uuid: "a", payload: { command_text: "uname -a", uid: 0, user: "root", src: "1.2.3.4", pwd: "/" } },
      { source_kind: "command", source_id: "c2", identity_uuid: "i", session_id: "s", decky_id: "d", payload: { command_text: 'wget "http://ü.example/ä" \u2028\n\t\\', note: { deep: [1, "x"] } } },
      { source_kind: "command", source_id: "c3", payload: { command_text: "uname; wget 😀", user: "ünïcode" } },
      { source_kind: "command", source_id: "c3", payload: { command_text: "uname; wget 😀", user: "other" } },
      {
        source_kind: "command",
        source_id: 'c4 "quoted" \\ \u0001',
        attacker_uuid: "\u007f",
        payload: { command_text: "uname \u0000\u001f\u007f \"q\" \\ \ud800 lone", n: -0, b: true, z: null, big: 1e21, list: [1, { a: "é" }], user: false },
      },
      { source_kind: "command", source_id: "c5", payload: { command_text: "uname", n: 0.1 + 0.2, b: false, uid: 1.5e-7 } },
    ];
    const tags: Tag[] = events.flatMap((e) => engine.evaluate(e));
    tags.push({ ...(tags[0] as Tag), confidence: 0.25 }, { ...(tags[0] as Tag), rule_version: 7 });
    expect(tags.length).toBeGreaterThan(8);
    const w = new TagLineWriter(new BufferRecycler(64));
    for (const t of tags) w.write(t);
    expect(Buffer.from(w.bytes()).toString("utf8")).toBe(tags.map((t) => JSON.stringify(t) + "\n").join(""));
  });
});

describe("evaluateBlock", () => {
  const engine = engineWith(ruleYaml("R1", { pattern: "uname", confidence: 0.8 }), ruleYaml("R2", { pattern: "uname", technique: "T1033", confidence: 0.2 }));

  it("counts events, tags, tags below the floor and fires per rule; skips blank lines; handles CRLF and a last line without newline", () => {
    const text = [cmd("e1", "uname -a"), "", "   ", cmd("e2", "ls") + "\r", cmd("e3", "uname -r")].join("\n");
    const r = evaluateBlock(block(text), engine, opts);
    expect({ events: r.events, malformed: r.malformed, tags: r.tags, belowFloor: r.belowFloor, lines: r.lines, fires: r.fires }).toEqual({
      events: 3,
      malformed: 0,
      tags: 2,
      belowFloor: 2,
      lines: 5,
      fires: [
        ["R1", 2],
        ["R2", 2],
      ],
    });
    const lines = Buffer.from(r.jsonl).toString("utf8").split("\n");
    expect(lines.at(-1)).toBe("");
    expect(lines.slice(0, -1).map((l) => (JSON.parse(l) as Tag).source_id)).toEqual(["e1", "e3"]);
    expect(r.rows?.map((t) => t.uuid)).toEqual(lines.slice(0, -1).map((l) => (JSON.parse(l) as Tag).uuid));
  });

  it("never throws on bad input: counts every malformed line and samples the first ones with their line number in the block", () => {
    const bad = ["{", "[]", "null", JSON.stringify({ source_kind: "command", source_id: "x" }), JSON.stringify({ source_kind: "", source_id: "x", payload: {} }), cmd("e9", 42)];
    const text = [cmd("e1", "uname"), ...bad, ...Array.from({ length: 20 }, () => "garbage")].join("\n") + "\n";
    const r = evaluateBlock(block(text), engine, { ...opts, maxSamples: 3 });
    expect(r.events).toBe(2);
    expect(r.malformed).toBe(bad.length - 1 + 20);
    expect(r.malformedSamples.map((m) => m.line)).toEqual([2, 3, 4]);
    expect(r.malformedSamples[0]?.error).toMatch(/not valid JSON/);
  });

  it("writes JSON.stringify(tag) for events whose payload is its own evidence, whether or not the input wrote it as JSON.stringify would", () => {
    const variants = [
      (i: number) => `{"command_text":"uname -a ${i}","uid":0,"user":"root","src":"10.0.0.${i % 250}","pwd":"/tmp"}`,
      (i: number) => `{"command_text":"uname \\/x ${i}","uid":0,"user":"root","src":"s","pwd":"/"}`,
      (i: number) => `{"command_text":"uname \\u0041 \\"q\\" ${i}","uid":1.0,"user":"root","src":"s","pwd":"/"}`,
      (i: number) => `{"command_text":"uname ${i}","uid":1e3,"user":"r","src":"s","pwd":"/"}`,
      (i: number) => `{"command_text":"uname ${i}","uid":-0,"user":"r","src":"s","pwd":"/"}`,
      (i: number) => `{"command_text":"uname ${i}","uid":0.5,"user":"r","src":"s","pwd":"\u007f"}`,
      (i: number) => `{"command_text":"uname ${i}","uid":0,"user":"r","src":"s","pwd":"/","tty":"pts/0"}`,
      (i: number) => `{"uid":0,"command_text":"uname ${i}","user":"r","src":"s","pwd":"/"}`,
    ];
    // ASCII only: a 64 KiB piece with other text goes through JSON.parse (covered above).
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const payload = (variants[i < 1500 ? 0 : i % variants.length] as (i: number) => string)(i);
      lines.push(`{"source_kind":"command","source_id":"e${i}","attacker_uuid":"a","payload":${payload}}`);
    }
    const r = evaluateBlock(block(lines.join("\n") + "\n"), engine, { ...opts, minConfidence: 0 });
    let shared = 0;
    const expected = lines
      .flatMap((l) => {
        const event = JSON.parse(l) as TtpEvent;
        const tags = engine.evaluate(event);
        if (tags[0]?.evidence === event.payload) shared++;
        return tags;
      })
      .map((t) => JSON.stringify(t) + "\n")
      .join("");
    expect(shared).toBeGreaterThan(2000);
    expect(r.events).toBe(3000);
    expect(Buffer.from(r.jsonl).toString("utf8")).toBe(expected);
  });

  it("leaves the JSON Lines and the rows out when their sinks are off", () => {
    const r = evaluateBlock(block(cmd("e1", "uname")), engine, { minConfidence: 0, jsonl: false, rows: false });
    expect({ tags: r.tags, jsonl: r.jsonl.byteLength, rows: r.rows }).toEqual({ tags: 2, jsonl: 0, rows: null });
  });

  it("gives a block of many 64 KiB pieces the result of its lines one by one: lines across piece ends, a line longer than a piece, non-ASCII, CRLF, bad lines", () => {
    const lines: string[] = [];
    for (let i = 0; lines.join("\n").length < 400_000; i++) {
      if (i % 97 === 5) lines.push(cmd(`x${i}`, `uname ${"a".repeat(100_000)}`)); // longer than a piece
      else if (i % 89 === 3) lines.push("{not json");
      else if (i % 53 === 1) lines.push(cmd(`u${i}`, `uname é 😀 ${"ü".repeat(i % 300)}`) + "\r");
      else if (i % 41 === 2) lines.push("");
      else lines.push(cmd(`e${i}`, `${i % 3 === 0 ? "uname" : "ls"} ${"-".repeat(i % 500)}`));
    }
    const text = lines.join("\n") + "\n";
    const whole = evaluateBlock(block(text), engine, { ...opts, maxSamples: 1000 });
    expect(whole.lines).toBe(lines.length);
    let jsonl = "";
    let events = 0;
    const bad: number[] = [];
    lines.forEach((line, i) => {
      const r = evaluateBlock(block(line), engine, { ...opts, maxSamples: 1000 });
      jsonl += Buffer.from(r.jsonl).toString("utf8");
      events += r.events;
      if (r.malformed > 0) bad.push(i + 1);
    });
    expect(whole.events).toBe(events);
    expect(whole.malformedSamples.map((m) => m.line)).toEqual(bad);
    expect(bad.length).toBeGreaterThan(2);
    expect(Buffer.from(whole.jsonl).toString("utf8")).toBe(jsonl);
    expect(jsonl).toContain("😀");
    expect(jsonl).toContain('"source_id":"x5"');
  });
});

describe("evaluateEvents (NATS input on the main thread)", () => {
  it("gives evaluateBlock's result for the same events, analyzer skipped/error counts and failures included", () => {
    registerAnalyzer(
      { kind: "lifter:test_eval_thrower", family: "behavioral", summary: "throws on demand", params: z.looseObject({}), patternParams: [], reads: ["boom"] },
      {
        kind: "lifter:test_eval_thrower",
        family: "behavioral",
        prepare: () => null,
        evaluate: (_c, p) => {
          if (p.boom === true) throw new Error("kaboom");
          return p.boom === "skip" ? SKIP : { evidence: {} };
        },
      },
    );
    const thrower = `rule_id: R0900
rule_version: 1
name: thrower
applies_to: [session]
match: {kind: lifter:test_eval_thrower}
emits:
  - {technique_id: T1059, tactic: TA0002, confidence: 0.5}
`;
    const make = () => engineWith(thrower, ruleYaml("R1", { pattern: "uname", confidence: 0.8 }));
    const events: TtpEvent[] = [
      { source_kind: "session", source_id: "s1", attacker_uuid: "a", payload: { boom: true } },
      { source_kind: "session", source_id: "s2", attacker_uuid: "a", payload: { boom: "skip" } },
      { source_kind: "session", source_id: "s3", attacker_uuid: "a", payload: { boom: false } },
      { source_kind: "command", source_id: "c1", attacker_uuid: "a", payload: { command_text: "uname -a" } },
    ];
    const fromText = evaluateBlock(block(events.map((e) => JSON.stringify(e)).join("\n")), make(), opts);
    const fromEvents = evaluateEvents(events, make(), opts);
    expect(fromEvents.analyzers).toEqual([["lifter:test_eval_thrower", 1, 1]]);
    expect(fromEvents.analyzerFailures).toEqual([{ ruleId: "R0900", kind: "lifter:test_eval_thrower", message: "kaboom" }]);
    expect({ ...fromEvents, jsonl: Buffer.from(fromEvents.jsonl).toString() }).toEqual({ ...fromText, jsonl: Buffer.from(fromText.jsonl).toString() });
    // Counts are per call: a second block on the same engine starts from zero.
    const engine = make();
    evaluateEvents(events, engine, opts);
    const again = evaluateEvents(events.slice(3), engine, opts);
    expect({ analyzers: again.analyzers, failures: again.analyzerFailures, tags: again.tags }).toEqual({ analyzers: [], failures: [], tags: 1 });
  });
});

describe("evaluateBlock tracing (SPEC §3.4)", () => {
  it("records one ttp.eval span per block with counts and a ttp.rule.fire child per rule that fired; no payload content", async () => {
    const { installSpanRecorder } = await import("../store/testing/spans");
    const engine = engineWith(
      ruleYaml("R1", { pattern: "uname", confidence: 0.8 }),
      ruleYaml("R2", { pattern: "wget", technique: "T1105", tactic: "TA0011", confidence: 0.2 }),
    );
    const text = [cmd("c1", "uname -a"), cmd("c2", "wget http://secret.example/x"), cmd("c3", "uname -r"), "not json"].join("\n");
    const recorder = installSpanRecorder();
    let r;
    try {
      r = evaluateBlock(block(text), engine, opts);
    } finally {
      recorder.uninstall();
    }
    expect(r.events).toBe(3);
    const evalSpans = recorder.spans.filter((s) => s.name === "ttp.eval");
    expect(evalSpans).toHaveLength(1);
    const root = evalSpans[0]!;
    expect(root.attributes).toMatchObject({ "ttp.events": 3, "ttp.tags": 2, "ttp.tags_below_floor": 1, "ttp.malformed": 1 });
    const fires = recorder.spans.filter((s) => s.name === "ttp.rule.fire");
    expect(fires.map((s) => [s.attributes.rule_id, s.attributes["ttp.fires"], s.parent === root]).sort()).toEqual([
      ["R1", 2, true],
      ["R2", 1, true],
    ]);
    expect(recorder.spans.every((s) => s.ended)).toBe(true);
    expect(JSON.stringify(recorder.spans.map((s) => s.attributes))).not.toMatch(/uname|wget|secret/);
  });
});
