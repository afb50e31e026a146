import { parseTtpEnv, type TtpEnv } from "../lib/config/env";

export { ConfigError, TtpEnv } from "../lib/config/env";

/** The CLI's and workers' settings from the process environment (SPEC §3.3). */
export function parseEnv(env: NodeJS.ProcessEnv = process.env): TtpEnv {
  return parseTtpEnv(env);
}
