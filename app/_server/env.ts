import "server-only";
import { z } from "zod";
import { parseDurationMs } from "../../lib/state/durations";
import { TtpEnv } from "../../bin/config";

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
  TTP_COOKIE_SECURE: z.enum(["auto", "always", "never"], { message: "TTP_COOKIE_SECURE must be auto, always or never" }).default("auto"),
});
export type DashboardEnv = z.infer<typeof DashboardEnv>;

export function parseDashboardEnv(env: NodeJS.ProcessEnv): DashboardEnv {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(DashboardEnv.shape)) {
    const v = env[key];
    if (v !== undefined && v !== "") picked[key] = v;
  }
  const r = DashboardEnv.safeParse(picked);
  if (!r.success) throw new Error(`invalid configuration: ${r.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`).join("; ")}`);
  return r.data;
}
