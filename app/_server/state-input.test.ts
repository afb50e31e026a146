import { describe, expect, it } from "vitest";
import { z } from "zod";
import { resolveStateRequest } from "../../lib/state/policy";
import { fieldErrorsOf, zodFieldErrors } from "./state-input";

describe("fieldErrorsOf", () => {
  it("keys a state request's issues by the request's own field names, first message per field", () => {
    const r = resolveStateRequest({ state: "clipped", confidence_max: 1.5, reason: "x" }, { requireReason: true, maxExpiryMs: 3_600_000 }, 0);
    expect(!r.ok && fieldErrorsOf(r.issues)).toEqual({ confidence_max: "confidence_max must be < 1 (a clip of 1 would not lower anything)" });
    const s = resolveStateRequest({ state: "disabled", expires_at: "2h" }, { requireReason: true, maxExpiryMs: 3_600_000 }, 0);
    expect(!s.ok && fieldErrorsOf(s.issues)).toEqual({
      expires_at: "expires_at must be at most 1h 0m from now (TTP_MAX_EXPIRY)",
      reason: "reason is required to disable or clip a rule (TTP_REQUIRE_REASON)",
    });
  });

  it("puts issues about the whole input under _form; zod errors map the same way", () => {
    expect(fieldErrorsOf([{ path: [], message: "a" }, { path: ["x", 0], message: "b" }, { path: ["x"], message: "c" }])).toEqual({ _form: "a", x: "b" });
    const parsed = z.object({ name: z.string({ message: "name?" }) }).safeParse({});
    expect(!parsed.success && zodFieldErrors(parsed.error)).toEqual({ name: "name?" });
  });
});
