import { z } from "zod";
import { parseDurationMs } from "../state/durations";
import type { StatePolicy } from "../state/policy";

const STORES = ["filesystem", "database"] as const;
const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;

/** The environment the CLI, the workers and the dashboard read, parsed once by each entry point (SPEC §3.3). */
export const TtpEnv = z.object({
  TTP_RULE_STORE: z.enum(STORES, { message: `TTP_RULE_STORE must be one of: ${STORES.join(", ")}` }).default("database"),
  TTP_RULES_DIR: z.string().min(1, { message: "TTP_RULES_DIR must not be empty" }).default("./rules/ttp"),
  DATABASE_URL: z
    .string()
    .min(1, { message: "DATABASE_URL must not be empty" })
    .refine((u) => /^(file:|postgres:\/\/|postgresql:\/\/|:memory:$)/.test(u) || !u.includes("://"), {
      message: "DATABASE_URL must be file:<path>, :memory: or postgres://user@host:port/db",
    })
    .default("file:./data/ttp.db"),
  TTP_LOG_LEVEL: z.enum(LEVELS, { message: `TTP_LOG_LEVEL must be one of: ${LEVELS.join(", ")}` }).default("info"),
  // Password of the `admin` user `npm start` creates when there are no users yet (random when unset);
  // checked against the password policy only then (bin/seed-admin.ts).
  TTP_ADMIN_PASSWORD: z.string().optional(),
  // Workers only: root of DECNET's artifacts store; e-mail analyzers may read message bodies under
  // <root>/<decky_id>/smtp/ (never outside it). Unset: no file is ever read.
  TTP_ARTIFACTS_DIR: z.string().min(1, { message: "TTP_ARTIFACTS_DIR must be a directory path (or unset)" }).optional(),
});
export type TtpEnv = z.infer<typeof TtpEnv>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses an environment record (entry points pass process.env); bad values throw a one-line ConfigError naming the allowed ones. */
export function parseTtpEnv(env: Readonly<Record<string, string | undefined>>): TtpEnv {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(TtpEnv.shape)) {
    const v = env[key];
    if (v !== undefined && v !== "") picked[key] = v;
  }
  const r = TtpEnv.safeParse(picked);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => i.message).join("; "));
  return r.data;
}

const BOOL = z.enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" }).transform((v) => ["true", "1", "yes"].includes(v));

const Duration = (name: string) =>
  z.string().transform((v, ctx) => {
    const ms = parseDurationMs(v);
    if (ms === null || ms <= 0) {
      ctx.addIssue({ code: "custom", message: `${name} must be a positive duration like 30m, 24h or 7d (got "${v}")` });
      return z.NEVER;
    }
    return ms;
  });

// false = no reverse proxy is trusted (0), true = one (1), n = that many: how many X-Forwarded-For
// entries, counted from the right, were appended by proxies the operator runs.
const TrustProxy = z.string().transform((v, ctx) => {
  const t = v.trim().toLowerCase();
  if (t === "false") return 0;
  if (t === "true") return 1;
  if (/^[1-9][0-9]*$/.test(t) && Number.isSafeInteger(Number(t))) return Number(t);
  ctx.addIssue({ code: "custom", message: `must be false, true (one reverse proxy) or the number of reverse proxies in front of the dashboard, a positive integer (got "${v}")` });
  return z.NEVER;
});

/** The state policy (lib/state/policy.ts): the dashboard, its HTTP API and `ttp state set` read the same variables. */
export const StatePolicyEnv = z.object({
  TTP_REQUIRE_REASON: BOOL.default(false),
  TTP_MAX_EXPIRY: Duration("TTP_MAX_EXPIRY").optional(),
});
export type StatePolicyEnv = z.infer<typeof StatePolicyEnv>;

export function statePolicyOf(env: StatePolicyEnv): StatePolicy {
  return { requireReason: env.TTP_REQUIRE_REASON, maxExpiryMs: env.TTP_MAX_EXPIRY ?? null };
}

/** Variables only the dashboard reads, on top of the store selection shared with the CLI. */
export const DashboardEnv = TtpEnv.extend({
  ...StatePolicyEnv.shape,
  TTP_SESSION_TTL: Duration("TTP_SESSION_TTL").default(12 * 3_600_000),
  TTP_TRUST_PROXY: TrustProxy.default(0),
  TTP_COOKIE_SECURE: z.enum(["auto", "always", "never"], { message: "TTP_COOKIE_SECURE must be auto, always or never" }).default("auto"),
  PORT: z.coerce
    .number({ message: "must be a port number" })
    .int({ message: "must be a whole port number" })
    .min(1, { message: "must be between 1 and 65535" })
    .max(65535, { message: "must be between 1 and 65535" })
    .default(3000),
});
export type DashboardEnv = z.infer<typeof DashboardEnv>;

function parseNamed<S extends z.ZodObject>(schema: S, env: Readonly<Record<string, string | undefined>>): z.infer<S> {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== "") picked[key] = v;
  }
  const r = schema.safeParse(picked);
  if (!r.success) throw new ConfigError(`invalid configuration: ${r.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; ")}`);
  return r.data;
}

/** The dashboard's settings; bad values throw one ConfigError naming each variable and what to fix. */
export function parseDashboardEnv(env: Readonly<Record<string, string | undefined>>): DashboardEnv {
  return parseNamed(DashboardEnv, env);
}

/** The state policy alone (the CLI); bad values throw a ConfigError as parseDashboardEnv does. */
export function parseStatePolicyEnv(env: Readonly<Record<string, string | undefined>>): StatePolicy {
  return statePolicyOf(parseNamed(StatePolicyEnv, env));
}
