import type { Tag } from "../engine/types";
import type { BufferRecycler } from "./buffers";

const q = JSON.stringify;
const ascii = (s: string): Uint8Array => Buffer.from(s, "latin1");
const OPEN_UUID = ascii('{"uuid":"');
const AFTER_UUID = ascii('",');
const EVIDENCE_KEY = ascii(',"evidence":');
const K_SOURCE_KIND = ascii('"source_kind":');
const K_SOURCE_ID = ascii(',"source_id":');
const K_ATTACKER = ascii(',"attacker_uuid":');
const K_IDENTITY = ascii(',"identity_uuid":');
const K_SESSION = ascii(',"session_id":');
const K_DECKY = ascii(',"decky_id":');
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
  private readonly rules = new Map<string, RuleEntry[]>();

  constructor(private readonly recycler: BufferRecycler | null = null) {
    this.buf = recycler ? recycler.take(0) : Buffer.allocUnsafeSlow(64 * 1024);
  }

  /** Appends one tag and a newline. */
  write(tag: Tag): void {
    const uuid = tag.uuid;
    this.reserve(OPEN_UUID.length + uuid.length + AFTER_UUID.length);
    const b = this.buf;
    b.set(OPEN_UUID, this.len);
    let p = this.len + OPEN_UUID.length;
    for (let i = 0; i < uuid.length; i++) b[p++] = uuid.charCodeAt(i);
    b.set(AFTER_UUID, p);
    this.len = p + AFTER_UUID.length;

    if (
      this.idsStart >= 0 &&
      tag.source_id === this.source && tag.source_kind === this.kind && tag.attacker_uuid === this.attacker &&
      tag.identity_uuid === this.identity && tag.session_id === this.session && tag.decky_id === this.decky
    ) {
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
      this.raw(K_ATTACKER);
      this.strOrNull(tag.attacker_uuid);
      this.raw(K_IDENTITY);
      this.strOrNull(tag.identity_uuid);
      this.raw(K_SESSION);
      this.strOrNull(tag.session_id);
      this.raw(K_DECKY);
      this.strOrNull(tag.decky_id);
      this.idsEnd = this.len;
    }
    this.reserve(1);
    this.buf[this.len++] = COMMA;
    const rule = this.ruleBytes(tag);
    this.reserve(rule.length + EVIDENCE_KEY.length);
    this.buf.set(rule, this.len);
    this.len += rule.length;
    this.buf.set(EVIDENCE_KEY, this.len);
    this.len += EVIDENCE_KEY.length;

    const ev = tag.evidence;
    if (this.evidenceStart >= 0 && (ev === this.evidenceRef || (this.evidenceRef !== null && sameEntries(this.evidenceRef, ev)))) {
      this.copyOwn(this.evidenceStart, this.evidenceEnd);
    } else {
      this.evidenceRef = ev;
      this.evidenceStart = this.len;
      this.object(ev);
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

  private strOrNull(s: string | null): void {
    if (s === null) this.raw(NULL);
    else this.str(s);
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

  /** The fields from the rule's emits entry, encoded once; the engine hands out the same strings every time, so matching is pointer compares. */
  private ruleBytes(tag: Tag): Uint8Array {
    let list = this.rules.get(tag.rule_id);
    if (list === undefined) {
      list = [];
      this.rules.set(tag.rule_id, list);
    }
    for (const e of list) {
      if (e.technique === tag.technique_id && e.sub === tag.sub_technique_id && e.confidence === tag.confidence && e.version === tag.rule_version && e.tactic === tag.tactic) return e.bytes;
    }
    const bytes = Buffer.from(
      `"tactic":${q(tag.tactic)},"technique_id":${q(tag.technique_id)},"sub_technique_id":${nullable(tag.sub_technique_id)},` +
        `"confidence":${q(tag.confidence)},"rule_id":${q(tag.rule_id)},"rule_version":${q(tag.rule_version)}`,
      "utf8",
    );
    // Bounded: entries of a rule only multiply with edits and clips.
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
