import { parseEvent } from "./event-line";
import { MAX_SAMPLE_BYTES, MAX_SAMPLE_EVENTS } from "./sample-limits";
import type { TtpEvent } from "./types";

export { MAX_SAMPLE_BYTES, MAX_SAMPLE_EVENTS };

export interface SampleEvent {
  /** 1-based position among the candidate events (malformed ones count). */
  index: number;
  /** 1-based line of the text where the event starts. */
  line: number;
  event: TtpEvent;
}

export interface MalformedSample {
  index: number;
  line: number;
  message: string;
}

export type SampleFormat = "object" | "array" | "lines";

export type SampleParse =
  | { ok: true; format: SampleFormat; events: SampleEvent[]; malformed: MalformedSample[] }
  | { ok: false; message: string };

export interface SampleLimits {
  maxEvents?: number;
  maxBytes?: number;
}

interface Candidate {
  index: number;
  line: number;
  /** Parsed JSON, or the text to parse. */
  value?: unknown;
  text?: string;
}

/**
 * Parses pasted sample events: one JSON object, a JSON array of objects, or JSON Lines. Each
 * event is `{source_kind, source_id?, payload}` as `ttp eval` reads it (a missing source_id
 * becomes `sample-<n>`). Malformed entries are reported with their line and the rest are kept;
 * a text over the byte or event limit is refused as a whole. Never throws.
 */
export function parseSampleEvents(text: string, limits: SampleLimits = {}): SampleParse {
  const maxEvents = limits.maxEvents ?? MAX_SAMPLE_EVENTS;
  const maxBytes = limits.maxBytes ?? MAX_SAMPLE_BYTES;
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > maxBytes) {
    return { ok: false, message: `The sample events are ${bytes.toLocaleString("en-US")} bytes; at most ${formatBytes(maxBytes)} (${maxBytes.toLocaleString("en-US")} bytes) can be tested at once.` };
  }
  if (text.trim() === "") return { ok: false, message: "Paste at least one event: a JSON object, a JSON array of objects, or JSON Lines." };

  const lines = lineIndex(text);
  let format: SampleFormat;
  let candidates: Candidate[];
  const malformed: MalformedSample[] = [];
  const whole = tryParse(text);
  const first = firstNonSpace(text);
  if (whole.ok && Array.isArray(whole.value)) {
    format = "array";
    const starts = splitArray(text, first).map((s) => s.start);
    candidates = whole.value.map((value, i) => ({ index: i + 1, line: lines.lineOf(starts[i] ?? first), value }));
  } else if (whole.ok) {
    format = "object";
    candidates = [{ index: 1, line: lines.lineOf(first), value: whole.value }];
  } else if (text[first] === "[") {
    format = "array";
    const parts = splitArray(text, first);
    candidates = parts.map((p, i) => ({ index: i + 1, line: lines.lineOf(p.start), text: text.slice(p.start, p.end) }));
    const tail = trailing(text, parts);
    if (tail !== null) malformed.push({ index: 0, line: lines.lineOf(tail), message: "unexpected text after the closing ]" });
    if (!closes(text, first)) malformed.push({ index: 0, line: lines.lineOf(first), message: `the array opened here is never closed with ]` });
  } else {
    format = "lines";
    candidates = [];
    const raw = text.split("\n");
    for (let i = 0; i < raw.length; i++) {
      const l = (raw[i] as string).replace(/\r$/, "");
      if (l.trim() !== "") candidates.push({ index: candidates.length + 1, line: i + 1, text: l });
    }
    // One pretty-printed object with a mistake would otherwise show as a wall of bad lines.
    if (text[first] === "{" && candidates.length > 1 && !candidates.some((c) => tryParse(c.text ?? "").ok)) {
      const at = jsonErrorOffset(whole.error);
      const line = at === null ? lines.lineOf(first) : lines.lineOf(at);
      return { ok: true, format: "object", events: [], malformed: [{ index: 1, line, message: `not valid JSON (${whole.error})` }] };
    }
  }

  if (candidates.length === 0 && malformed.length === 0) return { ok: false, message: "The array is empty: put at least one event in it." };
  if (candidates.length > maxEvents) {
    return { ok: false, message: `There are ${candidates.length.toLocaleString("en-US")} events; at most ${maxEvents.toLocaleString("en-US")} can be tested at once.` };
  }

  const events: SampleEvent[] = [];
  for (const c of candidates) {
    let value: unknown;
    if (c.text !== undefined) {
      const p = tryParse(c.text);
      if (!p.ok) {
        malformed.push({ index: c.index, line: c.line, message: `not valid JSON (${p.error})` });
        continue;
      }
      value = p.value;
    } else value = c.value;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      malformed.push({ index: c.index, line: c.line, message: "an event must be a JSON object {source_kind, source_id?, payload}" });
      continue;
    }
    const o = value as Record<string, unknown>;
    const withId = o.source_id === undefined || o.source_id === null || o.source_id === "" ? { ...o, source_id: `sample-${c.index}` } : o;
    const parsed = parseEvent(withId);
    if (!parsed.ok) {
      malformed.push({ index: c.index, line: c.line, message: parsed.error });
      continue;
    }
    events.push({ index: c.index, line: c.line, event: parsed.event });
  }
  malformed.sort((a, b) => a.line - b.line || a.index - b.index);
  return { ok: true, format, events, malformed };
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Offset named by V8's JSON.parse message ("… at position 42"), when it names one. */
function jsonErrorOffset(message: string): number | null {
  const m = /at position (\d+)/.exec(message);
  return m ? Number(m[1]) : null;
}

function firstNonSpace(text: string): number {
  const m = /\S/.exec(text);
  return m ? m.index : 0;
}

/**
 * Top-level elements of the array starting at `open`, found by tracking strings and nesting
 * only (no validation), so a malformed element does not hide the ones after it.
 */
function splitArray(text: string, open: number): { start: number; end: number }[] {
  const parts: { start: number; end: number }[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  const close = (end: number): void => {
    if (start >= 0) {
      let e = end;
      while (e > start && /\s/.test(text[e - 1] as string)) e--;
      parts.push({ start, end: e });
    }
    start = -1;
  };
  for (let i = open; i < text.length; i++) {
    const ch = text[i] as string;
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === "\\") escaped = true;
      else if (ch === '"') inString = false;
      continue;
    }
    if (depth === 1 && start < 0 && ch !== "," && ch !== "]" && !/\s/.test(ch)) start = i;
    if (ch === '"') inString = true;
    else if (ch === "[" || ch === "{") depth++;
    else if (ch === "]" || ch === "}") {
      depth--;
      if (depth === 0) {
        close(i);
        return parts;
      }
    } else if (ch === "," && depth === 1) close(i);
  }
  close(text.length);
  return parts;
}

function closes(text: string, open: number): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = open; i < text.length; i++) {
    const ch = text[i] as string;
    if (inString) {
      if (escaped) escaped = false;
      else if (ch === "\\") escaped = true;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "[" || ch === "{") depth++;
    else if ((ch === "]" || ch === "}") && --depth === 0) return true;
  }
  return false;
}

/** Offset of non-blank text after the array's closing bracket, or null. */
function trailing(text: string, parts: { start: number; end: number }[]): number | null {
  const last = parts.at(-1);
  if (!last) return null;
  const closeAt = text.indexOf("]", last.end);
  if (closeAt < 0) return null;
  const m = /\S/.exec(text.slice(closeAt + 1));
  return m ? closeAt + 1 + m.index : null;
}

function lineIndex(text: string): { lineOf(offset: number): number } {
  const starts = [0];
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return {
    lineOf(offset: number): number {
      let lo = 0;
      let hi = starts.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] as number) <= offset) lo = mid;
        else hi = mid - 1;
      }
      return lo + 1;
    },
  };
}

function formatBytes(n: number): string {
  if (n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}
