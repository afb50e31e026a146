// DECNET's identity analyzer (analyzers.md §2 row 3), re-implemented from the behavioural
// specification. Its tags are anchored on the identity: attacker_uuid is null (engine side).
import type { PasswordSprayingParams } from "../../rules/analyzers/identity";
import { isInt, isNonEmptyStr, isStr, own, present } from "./py";
import { SKIP, type Analyzer, type AnalyzerOutcome } from "./types";

const passwordSpraying: Analyzer<PasswordSprayingParams, PasswordSprayingParams> = {
  kind: "lifter:identity_password_spraying",
  family: "identity",
  anchor: "identity",
  prepare: (params) => params,
  evaluate(config, payload, ctx): AnalyzerOutcome {
    const hash = own(payload, "shared_password_hash");
    const accountCount = own(payload, "account_count");
    if ((present(hash) && !isStr(hash)) || (present(accountCount) && !isInt(accountCount))) return SKIP;
    // An empty hash counts as missing (§3.3).
    if (!isNonEmptyStr(hash) || !isInt(accountCount)) return null;
    if (accountCount < config.account_threshold) return null;
    return { evidence: { ...ctx.copied(), shared_password_hash: hash, account_count: accountCount } };
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a registry of predicates, each typed by its own schema
export const identityAnalyzers: readonly Analyzer<any, any>[] = [passwordSpraying];
