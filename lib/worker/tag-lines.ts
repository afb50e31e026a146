import type { Tag } from "../engine/types";
import type { BufferRecycler } from "./buffers";

const q = JSON.stringify;
const ascii = (s: string): Uint8Array => Buffer.from(s, "latin1");
const K_SOURCE_KIND = ascii('"source_kind":');
const K_SOURCE_ID = ascii(',"source_id":');
/** A nullable id's key, and the key with a null value. */
const key = (name: string): [Uint8Array, Uint8Array] => [ascii(`,"${name}":`), ascii(`,"${name}":null`)];
const K_ATTACKER = key("attacker_uuid");
const K_IDENTITY = key("identity_uuid");
const K_SESSION = key("session_id");
const K_DECKY = key("decky_id");
const NULL = ascii("null");
const TRUE = ascii("true");
const FALSE = ascii("false");
const COMMA = 44;
const COLON = 58;
const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE = 125;
const NEWLINE = 10;

/**
 * The encoded rule fields of tags, by rule id: kept across blocks (one per engine), as a writer
 * lives for one block only. Bounded: ids of rules long deleted are dropped with the rest past
 * MAX_RULE_IDS, entries of a rule only multiply with edits and clips (16 kept).
 */
export type RuleBytesCache = Map<string, RuleEntry[]>;
const MAX_RULE_IDS = 100_000;

interface RuleEntry {
  tactic: string;
  technique: string;
  sub: string | null;
  confidence: number;
  version: number;
  bytes: Uint8Array;
}

/**
 * Tags as JSON Lines, written straight into one growing UTF-8 buffer, byte for byte what
 * `JSON.stringify(tag) + "\n"` gives. Nothing per tag is built as a string: plain ASCII text
 * (ids, most evidence) is copied in character by character, anything that needs escaping or is
 * not ASCII goes through JSON.stringify; the event's id fields and the evidence are written once
 * and copied (`copyWithin`) for the next tags of the same event; the rule's fields are encoded
 * once per rule.
 */
export class TagLineWriter {
  private buf: Buffer;
  private len = 0;
  // Event-level fields of the previous tag, and where their JSON sits in `buf`.
  private kind: string | undefined;
  private source: string | undefined;
  private attacker: string | null | undefined;
  private identity: string | null | undefined;
  private session: string | null | undefined;
  private decky: string | null | undefined;
  private idsStart = -1;
  private idsEnd = -1;
  private evidenceRef: Record<string, unknown> | null = null;
  private evidenceStart = -1;
  private evidenceEnd = -1;
  /** The payload of the event being written and its JSON text in the input (see payloadText). */
  private payload: object | null = null;
  private payloadBytes: Uint8Array | null = null;
  private payloadFrom = 0;
  private payloadTo = 0;
  constructor(
    private readonly recycler: BufferRecycler | null = null,
    private readonly rules: RuleBytesCache = new Map(),
  ) {
    this.buf = recycler ? recycler.take(0) : Buffer.allocUnsafeSlow(64 * 1024);
  }

  /**
   * Before the tags of an event: its payload and, when the input holds the payload's text exactly
   * as JSON.stringify writes it (JsonShapes.payloadFrom/To), those bytes. A tag whose evidence is
   * the payload itself (an evidence list equal to the payload's keys, lib/engine/evidence.ts) then
   * gets them copied instead of serialised. `bytes` null: no such text.
   */
  payloadText(payload: object, bytes: Uint8Array | null, from: number, to: number): void {
    this.payload = bytes === null ? null : payload;
    this.payloadBytes = bytes;
    this.payloadFrom = from;
    this.payloadTo = to;
  }

  /** Appends one tag and a newline. */
  write(tag: Tag): void {
    const uuid = tag.uuid;
    this.reserve(uuid.length + 11);
    const b = this.buf;
    let p = this.len;
    // {"uuid":"<uuid>",  — written in place: TypedArray#set costs more than a few stores for short runs.
    b[p] = OPEN_BRACE;
    b[p + 1] = QUOTE;
    b[p + 2] = 117; // u
    b[p + 3] = 117; // u
    b[p + 4] = 105; // i
    b[p + 5] = 100; // d
    b[p + 6] = QUOTE;
    b[p + 7] = COLON;
    b[p + 8] = QUOTE;
    p += 9;
    for (let i = 0; i < uuid.length; i++) b[p++] = uuid.charCodeAt(i);
    b[p++] = QUOTE;
    b[p++] = COMMA;
    this.len = p;

    const sameIds =
      this.idsStart >= 0 &&
      tag.source_id === this.source && tag.source_kind === this.kind && tag.attacker_uuid === this.attacker &&
      tag.identity_uuid === this.identity && tag.session_id === this.session && tag.decky_id === this.decky;
    if (sameIds) {
      this.copyOwn(this.idsStart, this.idsEnd);
    } else {
      this.kind = tag.source_kind;
      this.source = tag.source_id;
      this.attacker = tag.attacker_uuid;
      this.identity = tag.identity_uuid;
      this.session = tag.session_id;
      this.decky = tag.decky_id;
      this.idsStart = this.len;
      this.raw(K_SOURCE_KIND);
      this.str(tag.source_kind);
      this.raw(K_SOURCE_ID);
      this.str(tag.source_id);
      this.optional(K_ATTACKER, tag.attacker_uuid);
      this.optional(K_IDENTITY, tag.identity_uuid);
      this.optional(K_SESSION, tag.session_id);
      this.optional(K_DECKY, tag.decky_id);
      this.idsEnd = this.len;
    }
    this.raw(this.ruleBytes(tag));

    const ev = tag.evidence;
    // Entries are compared only within one event (tags of rules with other evidence_fields): the
    // evidence of the event before nearly always differs, and comparing it costs two Object.keys.
    if (this.evidenceStart >= 0 && (ev === this.evidenceRef || (sameIds && this.evidenceRef !== null && sameEntries(this.evidenceRef, ev)))) {
      this.copyOwn(this.evidenceStart, this.evidenceEnd);
    } else {
      this.evidenceRef = ev;
      this.evidenceStart = this.len;
      if (ev === this.payload) this.copyIn(this.payloadBytes as Uint8Array, this.payloadFrom, this.payloadTo);
      else this.object(ev);
      this.evidenceEnd = this.len;
    }
    this.reserve(2);
    this.buf[this.len++] = CLOSE;
    this.buf[this.len++] = NEWLINE;
  }

  /** The lines written so far (a view of memory that starts at offset 0 of its buffer). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }

  get length(): number {
    return this.len;
  }

  /** A JSON string: ASCII without anything to escape is copied in directly, anything else goes through JSON.stringify. */
  private str(s: string): void {
    const n = s.length;
    this.reserve(n + 2);
    const b = this.buf;
    let p = this.len;
    b[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === QUOTE || c === BACKSLASH || c > 0x7e) {
        this.text(q(s));
        return;
      }
      b[p++] = c;
    }
    b[p++] = QUOTE;
    this.len = p;
  }

  private optional(k: [Uint8Array, Uint8Array], s: string | null): void {
    if (s === null) {
      this.raw(k[1]);
    } else {
      this.raw(k[0]);
      this.str(s);
    }
  }

  /** A flat object as JSON.stringify writes it (values of other types than string, number, boolean and null through JSON.stringify). */
  private object(o: Record<string, unknown>): void {
    this.reserve(1);
    this.buf[this.len++] = OPEN_BRACE;
    let first = true;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (v === undefined || typeof v === "function" || typeof v === "symbol") continue;
      if (!first) {
        this.reserve(1);
        this.buf[this.len++] = COMMA;
      }
      first = false;
      this.str(k);
      this.reserve(1);
      this.buf[this.len++] = COLON;
      if (typeof v === "string") this.str(v);
      else if (typeof v === "number") this.ascii(Number.isFinite(v) ? String(v) : "null");
      else if (v === null) this.raw(NULL);
      else if (v === true) this.raw(TRUE);
      else if (v === false) this.raw(FALSE);
      else this.text(q(v) ?? "null");
    }
    this.reserve(1);
    this.buf[this.len++] = CLOSE;
  }

  private ascii(s: string): void {
    this.reserve(s.length);
    const b = this.buf;
    let p = this.len;
    for (let i = 0; i < s.length; i++) b[p++] = s.charCodeAt(i);
    this.len = p;
  }

  private raw(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  private text(s: string): void {
    this.reserve(s.length * 3);
    this.len += this.buf.write(s, this.len, "utf8");
  }

  private copyIn(src: Uint8Array, start: number, end: number): void {
    this.reserve(end - start);
    this.buf.set(src.subarray(start, end), this.len);
    this.len += end - start;
  }

  private copyOwn(start: number, end: number): void {
    this.reserve(end - start);
    this.buf.copyWithin(this.len, start, end);
    this.len += end - start;
  }

  private reserve(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(need, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.len);
    this.recycler?.give(this.buf);
    this.buf = bigger;
  }

  /** `,"tactic":…,"rule_version":n,"evidence":` from the rule's emits entry, encoded once; the engine hands out the same strings every time, so matching is pointer compares. */
  private ruleBytes(tag: Tag): Uint8Array {
    let list = this.rules.get(tag.rule_id);
    if (list === undefined) {
      if (this.rules.size >= MAX_RULE_IDS) this.rules.clear();
      list = [];
      this.rules.set(tag.rule_id, list);
    }
    for (const e of list) {
      if (e.technique === tag.technique_id && e.sub === tag.sub_technique_id && e.confidence === tag.confidence && e.version === tag.rule_version && e.tactic === tag.tactic) return e.bytes;
    }
    const bytes = Buffer.from(
      `,"tactic":${q(tag.tactic)},"technique_id":${q(tag.technique_id)},"sub_technique_id":${nullable(tag.sub_technique_id)},` +
        `"confidence":${q(tag.confidence)},"rule_id":${q(tag.rule_id)},"rule_version":${q(tag.rule_version)},"evidence":`,
      "utf8",
    );
    if (list.length >= 16) list.shift();
    list.push({ tactic: tag.tactic, technique: tag.technique_id, sub: tag.sub_technique_id, confidence: tag.confidence, version: tag.rule_version, bytes });
    return bytes;
  }
}

/** Same keys in the same order with identical values: serialises to the same JSON. */
function sameEntries(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    const k = ka[i] as string;
    if (k !== kb[i] || a[k] !== b[k]) return false;
  }
  return true;
}

function nullable(v: string | null): string {
  return v === null ? "null" : q(v);
}
