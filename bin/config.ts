import { parseStatePolicyEnv, parseTtpEnv, type TtpEnv } from "../lib/config/env";
import type { StatePolicy } from "../lib/state/policy";

export { ConfigError, TtpEnv } from "../lib/config/env";

/** The CLI's and workers' settings from the process environment (SPEC §3.3). */
export function parseEnv(env: NodeJS.ProcessEnv = process.env): TtpEnv {
  return parseTtpEnv(env);
}

/** The state policy of `ttp state set`: TTP_REQUIRE_REASON and TTP_MAX_EXPIRY, as the dashboard reads them. */
export function parseStatePolicy(env: NodeJS.ProcessEnv = process.env): StatePolicy {
  return parseStatePolicyEnv(env);
}
