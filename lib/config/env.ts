import { z } from "zod";
import { parseDurationMs } from "../state/durations";

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

/** Variables only the dashboard reads, on top of the store selection shared with the CLI. */
export const DashboardEnv = TtpEnv.extend({
  TTP_REQUIRE_REASON: BOOL.default(false),
  TTP_MAX_EXPIRY: Duration("TTP_MAX_EXPIRY").optional(),
  TTP_SESSION_TTL: Duration("TTP_SESSION_TTL").default(12 * 3_600_000),
  TTP_TRUST_PROXY: BOOL.default(false),
  TTP_COOKIE_SECURE: z.enum(["auto", "always", "never"], { message: "TTP_COOKIE_SECURE must be auto, always or never" }).default("auto"),
  PORT: z.coerce
    .number({ message: "must be a port number" })
    .int({ message: "must be a whole port number" })
    .min(1, { message: "must be between 1 and 65535" })
    .max(65535, { message: "must be between 1 and 65535" })
    .default(3000),
});
export type DashboardEnv = z.infer<typeof DashboardEnv>;

/** The dashboard's settings; bad values throw one ConfigError naming each variable and what to fix. */
export function parseDashboardEnv(env: Readonly<Record<string, string | undefined>>): DashboardEnv {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(DashboardEnv.shape)) {
    const v = env[key];
    if (v !== undefined && v !== "") picked[key] = v;
  }
  const r = DashboardEnv.safeParse(picked);
  if (!r.success) throw new ConfigError(`invalid configuration: ${r.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; ")}`);
  return r.data;
}
