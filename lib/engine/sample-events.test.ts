import { describe, expect, it } from "vitest";
import { parseSampleEvents } from "./sample-events";

const ev = (cmd: string, extra: Record<string, unknown> = {}) => ({ source_kind: "command", ...extra, payload: { command_text: cmd } });

describe("parseSampleEvents", () => {
  it("one object, even pretty-printed, is one event at its first line; a missing source_id is filled in", () => {
    const r = parseSampleEvents(`\n\n${JSON.stringify(ev("ls"), null, 2)}\n`);
    expect(r).toEqual({ ok: true, format: "object", malformed: [], events: [{ index: 1, line: 3, event: { ...ev("ls"), source_id: "sample-1" } }] });
  });

  it("a JSON array: each element with the line it starts on", () => {
    const text = `[\n  ${JSON.stringify(ev("a", { source_id: "x1" }))},\n  ${JSON.stringify(ev("b"), null, 2).replace(/\n/g, "\n  ")},\n  ${JSON.stringify(ev("c"))}\n]`;
    const r = parseSampleEvents(text);
    if (!r.ok) throw new Error(r.message);
    expect(r.format).toBe("array");
    expect(r.events.map((e) => [e.index, e.line, e.event.source_id])).toEqual([
      [1, 2, "x1"],
      [2, 3, "sample-2"],
      [3, 9, "sample-3"],
    ]);
  });

  it("a malformed array element is reported at its line and the others are kept", () => {
    const text = `[\n${JSON.stringify(ev("a"))},\n{"source_kind": "command", "payload": {oops}},\n"just a string, with a comma",\n${JSON.stringify(ev("d"))}\n]`;
    const r = parseSampleEvents(text);
    if (!r.ok) throw new Error(r.message);
    expect(r.events.map((e) => [e.index, e.line])).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(r.malformed.map((m) => [m.index, m.line, m.message.slice(0, 20)])).toEqual([
      [2, 3, "not valid JSON (Expe"],
      [3, 4, "an event must be a J"],
    ]);
  });

  it("an array that is never closed says so", () => {
    const r = parseSampleEvents(`[${JSON.stringify(ev("a"))},\n${JSON.stringify(ev("b"))}`);
    if (!r.ok) throw new Error(r.message);
    expect(r.events).toHaveLength(2);
    expect(r.malformed).toEqual([{ index: 0, line: 1, message: "the array opened here is never closed with ]" }]);
  });

  it("JSON Lines: blank lines are skipped, bad lines reported with their number, CRLF accepted", () => {
    const text = [JSON.stringify(ev("a")), "", "nope", JSON.stringify({ source_kind: "command" }), JSON.stringify(ev("e"))].join("\r\n");
    const r = parseSampleEvents(text);
    if (!r.ok) throw new Error(r.message);
    expect(r.format).toBe("lines");
    expect(r.events.map((e) => [e.index, e.line, e.event.payload.command_text])).toEqual([
      [1, 1, "a"],
      [4, 5, "e"],
    ]);
    expect(r.malformed.map((m) => [m.index, m.line])).toEqual([
      [2, 3],
      [3, 4],
    ]);
    expect(r.malformed[1]?.message).toContain("payload");
  });

  it("a broken pretty-printed object is one error at the line JSON.parse names, not one per line", () => {
    const text = `{\n  "source_kind": "command",\n  "payload": {\n    "command_text": "ls",,\n  }\n}`;
    const r = parseSampleEvents(text);
    if (!r.ok) throw new Error(r.message);
    expect(r.events).toEqual([]);
    expect(r.malformed).toHaveLength(1);
    expect(r.malformed[0]?.line).toBe(4);
  });

  it("refuses empty text and an empty array; keeps source ids given as numbers", () => {
    expect(parseSampleEvents(" \n")).toMatchObject({ ok: false });
    expect(parseSampleEvents("[]")).toMatchObject({ ok: false, message: expect.stringContaining("empty") as unknown as string });
    const r = parseSampleEvents(JSON.stringify(ev("a", { source_id: 42 })));
    expect(r.ok && r.events[0]?.event.source_id).toBe("42");
  });

  it("applies the limits it is given", () => {
    const two = `${JSON.stringify(ev("a"))}\n${JSON.stringify(ev("b"))}`;
    expect(parseSampleEvents(two, { maxEvents: 1 })).toEqual({ ok: false, message: "There are 2 events; at most 1 can be tested at once." });
    expect(parseSampleEvents(two, { maxBytes: 10 })).toMatchObject({ ok: false, message: expect.stringContaining("at most 10 bytes") as unknown as string });
  });
});
