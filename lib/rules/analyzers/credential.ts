import { z } from "zod";
import type { AnalyzerSpec } from "./types";

// Parameters of DECNET's credential analyzers (analyzers.md §2 rows 1, 2, 4, 5, 6). Defaults are
// upstream's code defaults for an absent key; the descriptions give DECNET's YAML value.

const windowMinutes = z
  .number()
  .optional()
  .describe("Unused upstream; accepted (producers aggregate the counts). DECNET's YAML: 5");

export const AuthBruteGenericParams = z.looseObject({
  fail_threshold: z
    .number()
    .int()
    .default(5)
    .describe("Fires when the payload's fail_count is at least this. Default 5 (DECNET's YAML: 5)"),
  window_minutes: windowMinutes,
});
export type AuthBruteGenericParams = z.output<typeof AuthBruteGenericParams>;

export const PasswordGuessingParams = z.looseObject({
  pw_threshold: z
    .number()
    .int()
    .default(5)
    .describe("Fires when the payload's password_count is at least this. Default 5 (DECNET's YAML: 5)"),
  window_minutes: windowMinutes,
});
export type PasswordGuessingParams = z.output<typeof PasswordGuessingParams>;

export const CredentialReuseParams = z.looseObject({});
export type CredentialReuseParams = z.output<typeof CredentialReuseParams>;

export const ValidAccountUseParams = z.looseObject({
  require_prior_brute: z
    .boolean()
    .default(false)
    .describe("Also require prior_brute === true in the payload. Default false (DECNET's YAML: true)"),
});
export type ValidAccountUseParams = z.output<typeof ValidAccountUseParams>;

const PAIR_MESSAGE = "each pair must be a list of exactly 2 strings: [username, password]";

export const DefaultCredentialsParams = z.looseObject({
  pairs: z
    .array(z.array(z.string({ error: PAIR_MESSAGE }), { error: PAIR_MESSAGE }).length(2, { error: PAIR_MESSAGE }))
    .default([])
    .describe(
      'Default [username, password] pairs, compared exactly (case-sensitive; "" is a real empty password). ' +
        'Default [] (never fires); DECNET\'s YAML: [[root, root], [admin, admin], [admin, password], [root, ""], [pi, raspberry]]',
    ),
});
export type DefaultCredentialsParams = z.output<typeof DefaultCredentialsParams>;

export const credentialSpecs: readonly AnalyzerSpec[] = [
  {
    kind: "lifter:credential_auth_brute_generic",
    family: "credential",
    summary: "Fires when the producer-aggregated fail_count reaches fail_threshold (brute force, T1110).",
    params: AuthBruteGenericParams,
    patternParams: [],
    reads: ["fail_count", "service"],
  },
  {
    kind: "lifter:credential_password_guessing",
    family: "credential",
    summary: "Fires when one username was tried with at least pw_threshold passwords (password_count; T1110.001).",
    params: PasswordGuessingParams,
    patternParams: [],
    reads: ["password_count", "username"],
  },
  {
    kind: "lifter:credential_reuse",
    family: "credential",
    summary: "Fires when a credential_hash has a reuse_count of at least 1 (credential stuffing, T1110.004).",
    params: CredentialReuseParams,
    patternParams: [],
    reads: ["credential_hash", "reuse_count"],
  },
  {
    kind: "lifter:credential_valid_account_use",
    family: "credential",
    summary: 'Fires on a login whose result is exactly "success", optionally only after a prior brute force (T1078).',
    params: ValidAccountUseParams,
    patternParams: [],
    reads: ["result", "prior_brute", "username", "service"],
  },
  {
    kind: "lifter:credential_default_credentials",
    family: "credential",
    summary: "Fires when the login's username and password exactly equal one of the configured default pairs (T1078.001).",
    params: DefaultCredentialsParams,
    patternParams: [],
    reads: ["username", "password", "service"],
  },
];
