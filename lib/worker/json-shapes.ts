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
// the same ToNumber JSON.parse uses. Objects are built by a literal compiled per shape (key names
// enter the generated source only as JSON string literals, as in lib/engine/evidence.ts), so they
// get the property order and the hidden class JSON.parse would give. "__proto__" is never part of
// a shape (a literal would set the prototype where JSON.parse defines a property).
//
// Attackers control the lines: a line costs at most MAX_SHAPES linear scans before JSON.parse, a
// shape is learned (one code generation) at most once per LEARN_EVERY lines, and a shape holds at
// most MAX_KEYS keys per object and MAX_DEPTH levels.

/** What parse returns for a line it does not take (JSON.parse never returns a symbol). */
export const NOT_TAKEN: unique symbol = Symbol("not taken");

const MAX_SHAPES = 4;
const MAX_KEYS = 64;
const MAX_DEPTH = 3;
const LEARN_EVERY = 256;
/** V8 copies substrings shorter than this; longer ones would be views of the whole text. */
const SLICE_COPIES_BELOW = 13;

interface Shape {
  keys: readonly string[];
  /** The shape of each key's value when it is an object, else null. */
  nested: readonly (Shape | null)[];
  build: (values: unknown[]) => Record<string, unknown>;
}

const FAIL = NOT_TAKEN;

export class JsonShapes {
  private shapes: Shape[] = [];
  private last = 0;
  private next = 0;
  private sinceLearn = LEARN_EVERY;
  private canCompile = true;
  // The scan position, and the text and bytes being read (valid during parse only).
  private pos = 0;
  private end = 0;
  private s = "";
  private bytes: Buffer = Buffer.alloc(0);

  /**
   * `JSON.parse(text.slice(start, end))` when the line has a known shape, else NOT_TAKEN.
   * `bytes` holds the text's Latin-1 (ASCII) bytes at the same offsets.
   */
  parse(text: string, start: number, end: number, bytes: Buffer): unknown {
    this.sinceLearn++;
    const shapes = this.shapes;
    const n = shapes.length;
    if (n === 0 || text.charCodeAt(start) !== 123) return FAIL;
    this.s = text;
    this.bytes = bytes;
    this.end = end;
    for (let k = 0; k < n; k++) {
      const i = (this.last + k) % n;
      this.pos = start;
      const v = this.object(shapes[i] as Shape);
      if (v !== FAIL && this.pos === end) {
        this.last = i;
        this.s = "";
        return v;
      }
    }
    this.s = "";
    return FAIL;
  }

  /** Remembers the shape of a value JSON.parse gave for a line parse did not take (rate-limited). */
  learn(value: unknown): void {
    if (!this.canCompile || this.sinceLearn < LEARN_EVERY) return;
    if (value === null || typeof value !== "object" || Array.isArray(value)) return;
    let shape: Shape | null;
    try {
      shape = shapeOf(value as Record<string, unknown>, 1);
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

  /** The object at pos (pos is at its "{"), or FAIL. */
  private object(shape: Shape): unknown {
    const s = this.s;
    const end = this.end;
    const keys = shape.keys;
    const n = keys.length;
    let p = this.pos + 1;
    const values: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) {
      if (i > 0) {
        if (s.charCodeAt(p) !== 44) return FAIL; // ,
        p++;
      }
      const k = keys[i] as string;
      const kl = k.length;
      if (p + kl + 3 > end || s.charCodeAt(p) !== 34 || s.charCodeAt(p + kl + 1) !== 34 || s.charCodeAt(p + kl + 2) !== 58) return FAIL;
      for (let j = 0; j < kl; j++) if (s.charCodeAt(p + 1 + j) !== k.charCodeAt(j)) return FAIL;
      p += kl + 3;
      const nested = shape.nested[i] as Shape | null;
      const c = s.charCodeAt(p);
      if (c === 34) {
        // A string: to the closing quote, escapes skipped over.
        const from = p + 1;
        let q = from;
        let escaped = false;
        for (;;) {
          if (q >= end) return FAIL;
          const ch = s.charCodeAt(q);
          if (ch === 34) break;
          if (ch === 92) {
            escaped = true;
            q += 2;
            continue;
          }
          if (ch < 32) return FAIL;
          q++;
        }
        if (escaped) {
          try {
            values[i] = JSON.parse(s.slice(p, q + 1));
          } catch {
            return FAIL;
          }
        } else if (q - from < SLICE_COPIES_BELOW) values[i] = s.slice(from, q);
        else values[i] = this.bytes.toString("latin1", from, q);
        p = q + 1;
      } else if (c === 123) {
        if (nested === null) return FAIL;
        this.pos = p;
        const v = this.object(nested);
        if (v === FAIL) return FAIL;
        values[i] = v;
        p = this.pos;
      } else if (c === 45 || (c >= 48 && c <= 57)) {
        // A number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
        const from = p;
        if (c === 45) p++;
        const d = s.charCodeAt(p);
        if (d === 48) p++;
        else if (d >= 49 && d <= 57) {
          p++;
          while (p < end && isDigit(s.charCodeAt(p))) p++;
        } else return FAIL;
        if (s.charCodeAt(p) === 46) {
          p++;
          if (p >= end || !isDigit(s.charCodeAt(p))) return FAIL;
          while (p < end && isDigit(s.charCodeAt(p))) p++;
        }
        const e = s.charCodeAt(p);
        if (e === 101 || e === 69) {
          p++;
          const sign = s.charCodeAt(p);
          if (sign === 43 || sign === 45) p++;
          if (p >= end || !isDigit(s.charCodeAt(p))) return FAIL;
          while (p < end && isDigit(s.charCodeAt(p))) p++;
        }
        values[i] = Number(s.slice(from, p));
      } else if (c === 110 && p + 4 <= end && s.charCodeAt(p + 1) === 117 && s.charCodeAt(p + 2) === 108 && s.charCodeAt(p + 3) === 108) {
        values[i] = null;
        p += 4;
      } else if (c === 116 && p + 4 <= end && s.charCodeAt(p + 1) === 114 && s.charCodeAt(p + 2) === 117 && s.charCodeAt(p + 3) === 101) {
        values[i] = true;
        p += 4;
      } else if (c === 102 && p + 5 <= end && s.charCodeAt(p + 1) === 97 && s.charCodeAt(p + 2) === 108 && s.charCodeAt(p + 3) === 115 && s.charCodeAt(p + 4) === 101) {
        values[i] = false;
        p += 5;
      } else return FAIL;
    }
    if (p >= end || s.charCodeAt(p) !== 125) return FAIL; // }
    this.pos = p + 1;
    return shape.build(values);
  }
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
/** Printable ASCII but the quote and the backslash. */
const PLAIN_KEY = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** The shape of a parsed object (null when it cannot have one); throws when code generation is not allowed. */
function shapeOf(o: Record<string, unknown>, depth: number): Shape | null {
  if (depth > MAX_DEPTH) return null;
  const keys = Object.keys(o);
  if (keys.length > MAX_KEYS || keys.includes("__proto__")) return null;
  // A key is matched against the text character for character: only keys JSON writes as they are
  // (a key holding a quote would let `{"a":"b":1}` pass for the key `a":"b`).
  for (const k of keys) if (!PLAIN_KEY.test(k)) return null;
  const nested: (Shape | null)[] = [];
  for (const k of keys) {
    const v = o[k];
    if (v !== null && typeof v === "object") {
      if (Array.isArray(v)) return null;
      const inner = shapeOf(v as Record<string, unknown>, depth + 1);
      if (inner === null) return null;
      nested.push(inner);
    } else nested.push(null);
  }
  // Key names only ever enter the source as JSON string literals.
  const body = `"use strict"; return { ${keys.map((k, i) => `${JSON.stringify(k)}: v[${i}]`).join(", ")} };`;
  const build = new Function("v", body) as (values: unknown[]) => Record<string, unknown>;
  return { keys, nested, build };
}
