// JSON.parse for event lines shaped like the lines before them.
//
// Why: on `bench -- cli`'s 600,000 command events JSON.parse is 40 % of `ttp eval`, and a third of
// that is V8 internalizing every string value of up to 10 characters (ids such as "cmd_12345"):
// each new one is added to the string table and allocated in old space (first pass over the lines:
// 1.04–1.10 s; the same lines with 11-character ids: 0.69–0.79 s, measured). Honeypot events of
// one kind list the same keys in the same order line after line, so a scanner that already knows
// the keys only has to find the values — 0.69 s for those lines with their short ids.
//
// How it stays JSON.parse: a line is taken only when it is exactly `{"k1":v1,…}` with the keys of
// a known shape in that order, no whitespace, and values that are strings, numbers, true, false,
// null or objects of the shape's nested shapes; anything else — whitespace, other keys or order,
// duplicate keys, arrays, a truncated line, a control character in a string — returns NOT_TAKEN
// and the caller uses JSON.parse, which also gives the error message. Strings without escapes are
// copied out of the text (never sliced views of it, which would keep the whole text alive), strings
// with escapes go through JSON.parse, numbers are checked against JSON's grammar and converted with
// the same ToNumber JSON.parse uses. Each shape is compiled to a scanner of its own (scannerSource):
// straight-line code comparing each key's characters with constants, the object built by one
// literal, so it gets the property order and the hidden class JSON.parse would give (key names
// enter the generated source only as character codes and JSON string literals, as in
// lib/engine/evidence.ts). "__proto__" is never part of a shape (a literal would set the prototype
// where JSON.parse defines a property). The scanner reads the line's bytes, not its string: an
// optimized charCodeAt checks the string's representation on every call, a Uint8Array load does not
// (the scan of `bench -- cli`'s 600,000 lines went from 0.73–0.92 s to 0.42–0.51 s, measured
// interleaved, 5 passes each).
//
// Attackers control the lines: a line costs at most MAX_SHAPES linear scans before JSON.parse, a
// shape is learned (one code generation) at most once per LEARN_EVERY lines, and a shape holds at
// most MAX_KEYS keys per object, MAX_TOTAL_KEYS in all, MAX_KEY_LENGTH characters per key and
// MAX_DEPTH levels (which bounds the generated source).

/** What parse returns for a line it does not take (JSON.parse never returns a symbol). */
export const NOT_TAKEN: unique symbol = Symbol("not taken");

const MAX_SHAPES = 4;
const MAX_KEYS = 64;
const MAX_DEPTH = 3;
const LEARN_EVERY = 256;
/** V8 copies substrings shorter than this; longer ones would be views of the whole text. */
const SLICE_COPIES_BELOW = 13;

/** Keys of one shape in all (nested objects included) and per key: bounds on the generated scanner's size. */
const MAX_TOTAL_KEYS = 256;
const MAX_KEY_LENGTH = 128;

/** Where a scan hands back a string or scalar value, and what it saw of the line's payload. */
interface ScanState {
  v: unknown;
  /** Set to 1 by a string with an escape or a number JSON.stringify would write otherwise. */
  x: number;
  /** Offsets of the top-level `payload` object (from its `{` to after its `}`); pt is -1 when its text is not JSON.stringify's. */
  pf: number;
  pt: number;
}

/** The line's value when it is exactly `text.slice(start, end)` of this shape, else FAIL. */
type Scan = (text: string, start: number, end: number, bytes: Buffer, st: ScanState) => unknown;

/** What a parsed object looks like: its keys in order and the shape of each value that is an object. */
interface ShapeDesc {
  keys: readonly string[];
  nested: readonly (ShapeDesc | null)[];
}

interface Shape {
  scan: Scan;
}

const FAIL = NOT_TAKEN;

export class JsonShapes {
  private shapes: Shape[] = [];
  private last = 0;
  private next = 0;
  private sinceLearn = LEARN_EVERY;
  private canCompile = true;
  /** Where a scan hands back a value (reused: no allocation per value). */
  private readonly st: ScanState = { v: undefined, x: 0, pf: -1, pt: -1 };

  /**
   * After parse took a line: the offsets [payloadFrom, payloadTo) of its top-level `payload`
   * object in the text when that text is exactly JSON.stringify of the parsed payload (no escapes
   * in its strings, numbers as JSON.stringify writes them; the scanner already refuses
   * whitespace and takes keys in the order Object.keys gives), so a writer may copy those bytes
   * instead of serialising the object. payloadTo is -1 otherwise.
   */
  get payloadFrom(): number {
    return this.st.pf;
  }

  get payloadTo(): number {
    return this.st.pt;
  }

  /**
   * `JSON.parse(text.slice(start, end))` when the line has a known shape, else NOT_TAKEN.
   * `bytes` holds the text's Latin-1 (ASCII) bytes at the same offsets.
   */
  parse(text: string, start: number, end: number, bytes: Buffer): unknown {
    this.sinceLearn++;
    const shapes = this.shapes;
    const n = shapes.length;
    if (n === 0 || start >= end || bytes[start] !== 123) return FAIL;
    for (let k = 0; k < n; k++) {
      const i = (this.last + k) % n;
      this.st.pt = -1;
      const v = (shapes[i] as Shape).scan(text, start, end, bytes, this.st);
      if (v !== FAIL) {
        this.last = i;
        this.st.v = undefined;
        return v;
      }
    }
    this.st.v = undefined;
    return FAIL;
  }

  /** Remembers the shape of a value JSON.parse gave for a line parse did not take (rate-limited). */
  learn(value: unknown): void {
    if (!this.canCompile || this.sinceLearn < LEARN_EVERY) return;
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    let shape: Shape | null;
    try {
      shape = shapeOf(value as Record<string, unknown>);
    } catch {
      this.canCompile = false; // code generation from strings is not allowed here
      return;
    }
    if (shape === null) return;
    this.sinceLearn = 0;
    if (this.shapes.length < MAX_SHAPES) {
      this.shapes.push(shape);
    } else {
      this.shapes[this.next] = shape;
      this.next = (this.next + 1) % MAX_SHAPES;
    }
  }
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** Printable ASCII but the quote and the backslash. */
const PLAIN_KEY = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Buffer's own Latin-1 decoder, what toString("latin1", a, b) calls after checking its arguments (a quarter of the cost of a 60-character copy, measured). */
interface Latin1Buffer extends Buffer {
  latin1Slice(start: number, end: number): string;
}
const HAS_LATIN1_SLICE = typeof (Buffer.prototype as Partial<Latin1Buffer>).latin1Slice === "function";

/**
 * The string whose opening quote is at p: the position after its closing quote (the value in
 * st.v), or -1. Ends at `end` at the latest; no raw control characters.
 */
function scanString(s: string, p: number, end: number, b: Buffer, st: ScanState): number {
  const from = p + 1;
  let q = from;
  let escaped = false;
  for (;;) {
    if (q >= end) return -1;
    const ch = b[q] as number;
    if (ch === 34) break;
    if (ch === 92) {
      escaped = true;
      q += 2;
      continue;
    }
    if (ch < 32) return -1;
    q++;
  }
  if (escaped) {
    st.x = 1;
    try {
      st.v = JSON.parse(s.slice(p, q + 1));
    } catch {
      return -1;
    }
  } else if (q - from < SLICE_COPIES_BELOW) st.v = s.slice(from, q);
  else st.v = HAS_LATIN1_SLICE ? (b as Latin1Buffer).latin1Slice(from, q) : b.toString("latin1", from, q);
  return q + 1;
}

/**
 * The number, null, true or false at p: the position after it (the value in st.v), or -1.
 * Numbers follow JSON's grammar, -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?, and
 * convert with the same ToNumber as JSON.parse. A read past `end` can only make the line fail:
 * every scan checks that it stops exactly at the end of the line.
 */
function scanScalar(s: string, p: number, end: number, b: Buffer, st: ScanState): number {
  // Every read is below `end` (a byte past the line is never looked at, so never out of bounds).
  const c = p < end ? (b[p] as number) : -1;
  if (c === 45 || (c >= 48 && c <= 57)) {
    const from = p;
    if (c === 45) p++;
    const d = p < end ? (b[p] as number) : -1;
    if (d === 48) p++;
    else if (d >= 49 && d <= 57) {
      p++;
      while (p < end && isDigit(b[p] as number)) p++;
    } else return -1;
    // A short integer other than -0 is written back as it is; anything else is compared with String().
    let plain = p - from <= 15 && !(c === 45 && d === 48);
    if (p < end && b[p] === 46) {
      plain = false;
      p++;
      if (p >= end || !isDigit(b[p] as number)) return -1;
      while (p < end && isDigit(b[p] as number)) p++;
    }
    if (p < end && (b[p] === 101 || b[p] === 69)) {
      plain = false;
      p++;
      if (p < end && (b[p] === 43 || b[p] === 45)) p++;
      if (p >= end || !isDigit(b[p] as number)) return -1;
      while (p < end && isDigit(b[p] as number)) p++;
    }
    const text = s.slice(from, p);
    const v = Number(text);
    if (!plain && String(v) !== text) st.x = 1;
    st.v = v;
    return p;
  }
  if (c === 110 && p + 4 <= end && b[p + 1] === 117 && b[p + 2] === 108 && b[p + 3] === 108) {
    st.v = null;
    return p + 4;
  }
  if (c === 116 && p + 4 <= end && b[p + 1] === 114 && b[p + 2] === 117 && b[p + 3] === 101) {
    st.v = true;
    return p + 4;
  }
  if (c === 102 && p + 5 <= end && b[p + 1] === 97 && b[p + 2] === 108 && b[p + 3] === 115 && b[p + 4] === 101) {
    st.v = false;
    return p + 5;
  }
  return -1;
}

/** The shape of a parsed object (null when it cannot have one). `count` totals the keys of the whole shape. */
function describe(o: Record<string, unknown>, depth: number, count: { keys: number }): ShapeDesc | null {
  if (depth > MAX_DEPTH) return null;
  const keys = Object.keys(o);
  count.keys += keys.length;
  if (keys.length > MAX_KEYS || count.keys > MAX_TOTAL_KEYS || keys.includes("__proto__")) return null;
  // A key is matched against the text character for character: only keys JSON writes as they are
  // (a key holding a quote would let `{"a":"b":1}` pass for the key `a":"b`).
  for (const k of keys) if (k.length > MAX_KEY_LENGTH || !PLAIN_KEY.test(k)) return null;
  const nested: (ShapeDesc | null)[] = [];
  for (const k of keys) {
    const v = o[k];
    if (v !== null && typeof v === "object") {
      if (Array.isArray(v)) return null;
      const inner = describe(v as Record<string, unknown>, depth + 1, count);
      if (inner === null) return null;
      nested.push(inner);
    } else nested.push(null);
  }
  return { keys, nested };
}

/**
 * The source of a scanner for one shape: straight-line code that compares each key's characters
 * with constants, reads each value with scanString or scanScalar (nested objects inline) and builds
 * the object with one literal, so it gets the property order and hidden class JSON.parse gives it.
 * Key names enter the source only as character codes and as JSON string literals (inert data).
 */
function scannerSource(shape: ShapeDesc): string {
  const lines: string[] = [];
  let vars = 0;
  const object = (d: ShapeDesc, target: string, depth: number): void => {
    lines.push("p++;");
    const names: string[] = [];
    d.keys.forEach((k, i) => {
      if (i > 0) lines.push("if (p >= end || b[p] !== 44) return F;", "p++;");
      const checks = [`p + ${k.length + 3} > end`, "b[p] !== 34"];
      for (let j = 0; j < k.length; j++) checks.push(`b[p + ${j + 1}] !== ${k.charCodeAt(j)}`);
      checks.push(`b[p + ${k.length + 1}] !== 34`, `b[p + ${k.length + 2}] !== 58`);
      lines.push(`if (${checks.join(" || ")}) return F;`, `p += ${k.length + 3};`);
      const v = `v${vars++}`;
      names.push(v);
      lines.push("c = p < end ? b[p] : -1;", `if (c === 34) { p = S(s, p, end, b, st); if (p < 0) return F; ${v} = st.v; }`);
      const inner = d.nested[i] ?? null;
      if (inner !== null) {
        lines.push("else if (c === 123) {");
        // The payload's text: where it starts and, after it, whether any value in it was written otherwise than JSON.stringify would.
        const payload = depth === 1 && k === "payload";
        if (payload) lines.push("st.pf = p; st.x = 0;");
        object(inner, v, depth + 1);
        if (payload) lines.push("st.pt = st.x === 0 ? p : -1;");
        lines.push("}");
      }
      lines.push(`else { p = V(s, p, end, b, st); if (p < 0) return F; ${v} = st.v; }`);
    });
    lines.push("if (p >= end || b[p] !== 125) return F;", "p++;");
    // Key names only ever enter the source as JSON string literals.
    lines.push(`${target} = { ${d.keys.map((k, i) => `${JSON.stringify(k)}: ${names[i]}`).join(", ")} };`);
  };
  object(shape, "o", 1);
  const decl = Array.from({ length: vars }, (_, i) => `v${i}`);
  return [
    '"use strict";',
    "return function scan(s, p, end, b, st) {",
    `let c = 0, o${decl.map((v) => `, ${v}`).join("")};`,
    ...lines,
    "if (p !== end) return F;",
    "return o;",
    "};",
  ].join("\n");
}

/** The shape of a parsed object with its compiled scanner (null when it cannot have one); throws when code generation is not allowed. */
function shapeOf(o: Record<string, unknown>): Shape | null {
  const desc = describe(o, 1, { keys: 0 });
  if (desc === null) return null;
  const make = new Function("F", "S", "V", scannerSource(desc)) as (f: typeof FAIL, str: typeof scanString, scalar: typeof scanScalar) => Scan;
  return { scan: make(FAIL, scanString, scanScalar) };
}
