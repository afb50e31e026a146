import { z } from "zod";
import type { AnalyzerSpec } from "./types";

// Parameters of DECNET's identity analyzer (analyzers.md §2 row 3). Defaults are upstream's code
// defaults for an absent key; the description gives DECNET's YAML value.

export const PasswordSprayingParams = z.looseObject({
  account_threshold: z
    .number()
    .int()
    .default(1)
    .describe("Fires when one password hash was tried against at least this many accounts (account_count). Default 1 (DECNET's YAML: 3)"),
});
export type PasswordSprayingParams = z.output<typeof PasswordSprayingParams>;

export const identitySpecs: readonly AnalyzerSpec[] = [
  {
    kind: "lifter:identity_password_spraying",
    family: "identity",
    summary:
      "Fires on an identity event whose shared_password_hash was tried against at least account_threshold accounts (T1110.003); tags carry identity_uuid only.",
    params: PasswordSprayingParams,
    patternParams: [],
    reads: ["shared_password_hash", "account_count"],
  },
];
