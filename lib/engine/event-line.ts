import { TtpEventInput, type TtpEvent } from "./types";

/** Parses one JSON Lines event; never throws (attackers control the content). */
export function parseEventLine(line: string): { ok: true; event: TtpEvent } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch (err) {
    return { ok: false, error: `not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  return parseEvent(json);
}

export function parseEvent(json: unknown): { ok: true; event: TtpEvent } | { ok: false; error: string } {
  // Fast path for well-formed events; the schema gives the message when something is off.
  if (json !== null && typeof json === "object" && !Array.isArray(json)) {
    const o = json as Record<string, unknown>;
    if (
      typeof o.source_kind === "string" && o.source_kind !== "" &&
      typeof o.source_id === "string" && o.source_id !== "" &&
      o.payload !== null && typeof o.payload === "object" && !Array.isArray(o.payload) &&
      optionalId(o.attacker_uuid) && optionalId(o.identity_uuid) && optionalId(o.session_id) && optionalId(o.decky_id)
    ) {
      return { ok: true, event: o as unknown as TtpEvent };
    }
  }
  const r = TtpEventInput.safeParse(json);
  if (!r.success) {
    return { ok: false, error: r.error.issues.map((i) => `${i.path.join(".") || "(event)"}: ${i.message}`).join("; ") };
  }
  return { ok: true, event: r.data as TtpEvent };
}

function optionalId(v: unknown): boolean {
  return v === undefined || v === null || typeof v === "string";
}
