import { z } from "zod";

/** An event from a sensor (SPEC §4.1). Validated at the boundary with TtpEventInput. */
export interface TtpEvent {
  source_kind: string;
  source_id: string;
  attacker_uuid?: string | null;
  identity_uuid?: string | null;
  session_id?: string | null;
  decky_id?: string | null;
  payload: Record<string, unknown>;
}

const OptionalId = z.union([z.string(), z.number().transform(String)]).nullable().optional();

export const TtpEventInput = z.looseObject({
  source_kind: z.string({ message: "source_kind is required (e.g. command)" }).min(1, { message: "source_kind must not be empty" }),
  source_id: z.union([z.string().min(1), z.number().transform(String)], { message: "source_id is required (string or number)" }),
  attacker_uuid: OptionalId,
  identity_uuid: OptionalId,
  session_id: OptionalId,
  decky_id: OptionalId,
  payload: z.record(z.string(), z.unknown(), { message: "payload is required: an object of fields" }),
});

/** A tag as DECNET writes it (snake_case keys). */
export interface Tag {
  uuid: string;
  source_kind: string;
  source_id: string;
  attacker_uuid: string | null;
  identity_uuid: string | null;
  session_id: string | null;
  decky_id: string | null;
  tactic: string;
  technique_id: string;
  sub_technique_id: string | null;
  confidence: number;
  rule_id: string;
  rule_version: number;
  evidence: Record<string, unknown>;
}

/** Confidence floor of tag sinks (SPEC §4.1); configurable per sink. */
export const DEFAULT_MIN_CONFIDENCE = 0.3;
