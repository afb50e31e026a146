import { z } from "zod";

// Pure (no server-only import) so vitest can run it; only server actions use it.

export const RULE_ID_RE = /^[A-Za-z0-9_]{1,128}$/;
export const RuleId = z.string().regex(RULE_ID_RE, { message: "Unknown rule id." });

export type FieldErrors = Record<string, string>;

/** First message per top-level field (`_form` for the whole input) of zod issues or a state request's issues. */
export function fieldErrorsOf(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldErrors {
  const fieldErrors: FieldErrors = {};
  for (const i of issues) fieldErrors[String(i.path[0] ?? "_form")] ??= i.message;
  return fieldErrors;
}

/** First message per top-level field of a failed zod parse. */
export function zodFieldErrors(error: z.ZodError): FieldErrors {
  return fieldErrorsOf(error.issues);
}
