import { parseEvent } from "../engine/event-line";
import type { TtpEvent } from "../engine/types";
import { decodeUtf8 } from "./utf8";

/** Why a bus message can never be processed (a dead letter's `reason`). */
export type DeadLetterReason =
  | "malformed_json"
  | "bad_envelope"
  | "bad_event"
  | "no_anchor"
  | "unknown_source_kind"
  | "max_deliver";

export type MessageEvents =
  | { ok: true; events: TtpEvent[] }
  | { ok: false; reason: DeadLetterReason; detail: string };

/**
 * Topic fragment → source kind, first match wins (DECNET's worker; decnet/analyzers.md §1.11). A
 * topic outside the table uses the envelope's `type`.
 */
const TOPIC_SOURCE_KIND: readonly (readonly [string, string])[] = [
  ["session.ended", "session"],
  ["observed", "session"],
  ["intel.enriched", "intel"],
  ["identity.formed", "identity"],
  ["identity.merged", "identity"],
  ["reuse.detected", "credential"],
  ["email.received", "email"],
  ["canary.", "canary_fingerprint"],
];

const SOURCE_ID_KEYS = ["source_id", "session_id", "token_id", "identity_uuid", "credential_id", "attacker_uuid", "uuid"] as const;
const COMMAND_ID_KEYS = ["id", "uuid", "command_id"] as const;
const COMMAND_TEXT_KEYS = ["command_text", "command", "cmd"] as const;

/** The subject prefix of this project's own event JSON: `<prefix>ttp.input.<source_kind>`. */
export const INPUT_SUBJECT = "ttp.input.";

export function sourceKindForTopic(topic: string, type: unknown): string | null {
  for (const [fragment, kind] of TOPIC_SOURCE_KIND) if (topic.includes(fragment)) return kind;
  return typeof type === "string" && type !== "" ? type : null;
}

/** Python truthiness of a JSON value (upstream picks ids with `a or b or …`). */
function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v).length > 0;
  return true;
}

/** Python's `str()` of a JSON scalar (ids arrive as strings; numbers and booleans are rare). */
function pyStr(v: unknown): string {
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (typeof v === "number") return String(v);
  return JSON.stringify(v);
}

function strOrNull(v: unknown): string | null {
  return v === null || v === undefined ? null : pyStr(v);
}

function firstTruthy(o: Record<string, unknown>, keys: readonly string[]): unknown {
  for (const k of keys) if (truthy(o[k])) return o[k];
  return undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

function parseJson(data: Uint8Array | string): { ok: true; value: unknown } | { ok: false; detail: string } {
  try {
    const text = typeof data === "string" ? data : decodeUtf8(data);
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, detail: err instanceof Error ? err.message.replace(/"(?:[^"\\]|\\.)*"/g, "…") : "not JSON" };
  }
}

/**
 * One bus message → the events it stands for. `subject` is the full subject (with `prefix`):
 * `<prefix>ttp.input.<source_kind>` carries this project's event JSON (the subject's kind fills a
 * missing `source_kind`); any other subject carries DECNET's envelope `{v, id, topic, type, ts,
 * payload}`, mapped as DECNET's worker does (topic → source kind, source_id, envelope ids, and one
 * `command` event per entry of a session's `payload.commands`). Never throws: a message that can
 * never be processed comes back as a dead-letter reason.
 */
export function eventsFromMessage(subject: string, data: Uint8Array | string, prefix = ""): MessageEvents {
  const parsed = parseJson(data);
  if (!parsed.ok) return { ok: false, reason: "malformed_json", detail: parsed.detail };
  const bare = subject.startsWith(prefix) ? subject.slice(prefix.length) : subject;
  if (bare.startsWith(INPUT_SUBJECT)) return ownEvent(bare.slice(INPUT_SUBJECT.length), parsed.value);
  return envelopeEvents(bare, parsed.value);
}

function ownEvent(subjectKind: string, json: unknown): MessageEvents {
  if (!isObject(json)) return { ok: false, reason: "bad_event", detail: "an event must be a JSON object" };
  if (subjectKind !== "" && json.source_kind !== undefined && json.source_kind !== subjectKind) {
    return { ok: false, reason: "bad_event", detail: `source_kind does not match the subject's (${subjectKind})` };
  }
  const candidate = json.source_kind === undefined && subjectKind !== "" ? { ...json, source_kind: subjectKind } : json;
  const r = parseEvent(candidate);
  if (!r.ok) return { ok: false, reason: "bad_event", detail: r.error };
  if (!hasAnchor(r.event)) return { ok: false, reason: "no_anchor", detail: "neither attacker_uuid nor identity_uuid" };
  return { ok: true, events: [r.event] };
}

function hasAnchor(e: { attacker_uuid?: string | null; identity_uuid?: string | null }): boolean {
  return (e.attacker_uuid !== undefined && e.attacker_uuid !== null) || (e.identity_uuid !== undefined && e.identity_uuid !== null);
}

/**
 * The envelope on `topic` (the subject without the prefix: like DECNET's bus, the subject is the
 * topic, never the wire's `topic` field). `v`, `id` and `ts` are not needed to tag; a missing
 * payload is `{}` as upstream reads it.
 */
export function envelopeEvents(topic: string, json: unknown): MessageEvents {
  if (!isObject(json)) return { ok: false, reason: "bad_envelope", detail: "the envelope must be a JSON object" };
  const { type } = json;
  const payload = json.payload ?? {};
  if (!isObject(payload)) return { ok: false, reason: "bad_envelope", detail: "payload must be a JSON object" };
  if (type !== undefined && type !== null && typeof type !== "string") return { ok: false, reason: "bad_envelope", detail: "type must be a string" };
  const sourceKind = sourceKindForTopic(topic, type);
  if (sourceKind === null) return { ok: false, reason: "bad_envelope", detail: "topic outside the table and no type" };
  const sourceId = pyStr(firstTruthy(payload, SOURCE_ID_KEYS) ?? topic);
  const ids = {
    attacker_uuid: strOrNull(payload.attacker_uuid),
    identity_uuid: strOrNull(payload.identity_uuid),
    session_id: strOrNull(payload.session_id),
    decky_id: strOrNull(payload.decky_id),
  };
  if (!hasAnchor(ids)) return { ok: false, reason: "no_anchor", detail: "neither attacker_uuid nor identity_uuid in the payload" };
  const events: TtpEvent[] = [{ source_kind: sourceKind, source_id: sourceId, ...ids, payload: { ...payload } } as TtpEvent];
  const commands = payload.commands;
  if (sourceKind === "session" && Array.isArray(commands)) {
    for (let i = 0; i < commands.length; i++) {
      const cmd = commandEvent(commands[i], i, sourceId, ids);
      if (cmd) events.push(cmd);
    }
  }
  return { ok: true, events };
}

/** One entry of a session's `commands`: a string (the command line) or an object with its own id and text. */
function commandEvent(entry: unknown, index: number, sessionSourceId: string, ids: Record<string, string | null>): TtpEvent | null {
  let payload: Record<string, unknown>;
  let ownId: unknown;
  if (typeof entry === "string") {
    payload = { command_text: entry };
  } else if (isObject(entry)) {
    payload = { ...entry };
    if (typeof payload.command_text !== "string") {
      const text = firstTruthy(entry, COMMAND_TEXT_KEYS);
      if (typeof text === "string") payload.command_text = text;
    }
    ownId = firstTruthy(entry, COMMAND_ID_KEYS);
  } else {
    return null;
  }
  return {
    source_kind: "command",
    source_id: ownId === undefined ? `${sessionSourceId}#cmd${index}` : pyStr(ownId),
    attacker_uuid: ids.attacker_uuid ?? null,
    identity_uuid: ids.identity_uuid ?? null,
    session_id: ids.session_id ?? null,
    decky_id: ids.decky_id ?? null,
    payload,
  } as TtpEvent;
}
