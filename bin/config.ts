import { z } from "zod";

const STORES = ["filesystem", "database"] as const;
const LEVELS = ["debug", "info", "warn", "error", "silent"] as const;

/** The environment the CLI and workers read, parsed once at start (SPEC §3.3). */
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
});
export type TtpEnv = z.infer<typeof TtpEnv>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Parses the environment; unknown values throw a one-line ConfigError naming the allowed ones. */
export function parseEnv(env: NodeJS.ProcessEnv = process.env): TtpEnv {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(TtpEnv.shape)) {
    const v = env[key];
    if (v !== undefined && v !== "") picked[key] = v;
  }
  const r = TtpEnv.safeParse(picked);
  if (!r.success) throw new ConfigError(r.error.issues.map((i) => i.message).join("; "));
  return r.data;
}
