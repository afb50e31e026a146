// DECNET's credential analyzers (analyzers.md §2 rows 1, 2, 4, 5, 6; §3.4), re-implemented from
// the behavioural specification. Thresholds compare counts the producers already aggregated.
import type {
  AuthBruteGenericParams,
  CredentialReuseParams,
  DefaultCredentialsParams,
  PasswordGuessingParams,
  ValidAccountUseParams,
} from "../../rules/analyzers/credential";
import { isInt, isNonEmptyStr, isStr, own, present } from "./py";
import { SKIP, type Analyzer, type AnalyzerContext, type AnalyzerOutcome, type Payload } from "./types";

/** Copied evidence_fields with `service` overlaid when it is a non-empty string (a copied non-string stays raw). */
function withService(ctx: AnalyzerContext, payload: Payload, extras: Record<string, unknown>): Record<string, unknown> {
  const evidence = { ...ctx.copied(), ...extras };
  const service = own(payload, "service");
  if (isNonEmptyStr(service)) evidence.service = service;
  return evidence;
}

const authBruteGeneric: Analyzer<AuthBruteGenericParams, AuthBruteGenericParams> = {
  kind: "lifter:credential_auth_brute_generic",
  family: "credential",
  prepare: (params) => params,
  evaluate(config, payload, ctx): AnalyzerOutcome {
    const failCount = own(payload, "fail_count");
    if (!present(failCount)) return null;
    if (!isInt(failCount)) return SKIP;
    if (failCount < config.fail_threshold) return null;
    return { evidence: withService(ctx, payload, { fail_count: failCount }) };
  },
};

const passwordGuessing: Analyzer<PasswordGuessingParams, PasswordGuessingParams> = {
  kind: "lifter:credential_password_guessing",
  family: "credential",
  prepare: (params) => params,
  evaluate(config, payload, ctx): AnalyzerOutcome {
    const passwordCount = own(payload, "password_count");
    const username = own(payload, "username");
    if ((present(passwordCount) && !isInt(passwordCount)) || (present(username) && !isStr(username))) return SKIP;
    // An empty username counts as missing (§3.3).
    if (!isInt(passwordCount) || !isNonEmptyStr(username)) return null;
    if (passwordCount < config.pw_threshold) return null;
    return { evidence: { ...ctx.copied(), username, password_count: passwordCount } };
  },
};

const credentialReuse: Analyzer<CredentialReuseParams, CredentialReuseParams> = {
  kind: "lifter:credential_reuse",
  family: "credential",
  prepare: (params) => params,
  evaluate(_config, payload, ctx): AnalyzerOutcome {
    const credentialHash = own(payload, "credential_hash");
    const reuseCount = own(payload, "reuse_count");
    if ((present(credentialHash) && !isStr(credentialHash)) || (present(reuseCount) && !isInt(reuseCount))) return SKIP;
    if (!isNonEmptyStr(credentialHash) || !isInt(reuseCount)) return null;
    // Upstream's threshold is 1, hard-coded (its docstring says "2 attackers"; the code checks ≥ 1).
    if (reuseCount < 1) return null;
    return { evidence: { ...ctx.copied(), credential_hash: credentialHash, reuse_count: reuseCount } };
  },
};

const validAccountUse: Analyzer<ValidAccountUseParams, ValidAccountUseParams> = {
  kind: "lifter:credential_valid_account_use",
  family: "credential",
  prepare: (params) => params,
  evaluate(config, payload, ctx): AnalyzerOutcome {
    const result = own(payload, "result");
    if (!present(result)) return null;
    if (!isStr(result)) return SKIP;
    if (result !== "success") return null;
    if (config.require_prior_brute) {
      const priorBrute = own(payload, "prior_brute");
      if (present(priorBrute) && typeof priorBrute !== "boolean") return SKIP;
      if (priorBrute !== true) return null;
    }
    const username = own(payload, "username");
    return { evidence: withService(ctx, payload, isNonEmptyStr(username) ? { username } : {}) };
  },
};

interface DefaultCredentialsConfig {
  readonly pairs: readonly (readonly [string, string])[];
}

const defaultCredentials: Analyzer<DefaultCredentialsParams, DefaultCredentialsConfig> = {
  kind: "lifter:credential_default_credentials",
  family: "credential",
  prepare(params) {
    const pairs: [string, string][] = [];
    // The schema refuses other shapes; a stored definition of an older translator is skipped pair by pair, as upstream does.
    for (const p of params.pairs) if (p.length === 2 && isStr(p[0]) && isStr(p[1])) pairs.push([p[0], p[1]]);
    return { pairs };
  },
  evaluate(config, payload, ctx): AnalyzerOutcome {
    const username = own(payload, "username");
    const password = own(payload, "password");
    if ((present(username) && !isStr(username)) || (present(password) && !isStr(password))) return SKIP;
    if (!isStr(username) || !isStr(password)) return null;
    // The password is never put in the evidence.
    if (!config.pairs.some(([u, p]) => u === username && p === password)) return null;
    return { evidence: withService(ctx, payload, { username }) };
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry of predicates, each typed by its own schema
export const credentialAnalyzers: readonly Analyzer<any, any>[] = [
  authBruteGeneric,
  passwordGuessing,
  credentialReuse,
  validAccountUse,
  defaultCredentials,
];
