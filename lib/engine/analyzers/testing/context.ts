import type { AnalyzerContext, Payload } from "../types";

/** An AnalyzerContext for predicate unit tests: the given evidence_fields copied from the payload, no disk, no memo. */
export function testContext(evidenceFields: readonly string[], payload: Payload, emailBody: () => string | null = () => null): AnalyzerContext {
  return {
    copied: () => {
      const out: Record<string, unknown> = {};
      for (const f of evidenceFields) if (Object.prototype.hasOwnProperty.call(payload, f)) out[f] = payload[f];
      return out;
    },
    emailBodyFromDisk: emailBody,
    perEvent: <T,>(_key: object, make: () => T): T => make(),
  };
}
