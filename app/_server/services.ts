import "server-only";
import { openAuthStore } from "../../lib/auth/auth-store";
import { openLoginThrottle, type LoginThrottle } from "../../lib/auth/login-throttle";
import type { AuthStore } from "../../lib/auth/types";
import { createStderrLogger, type Logger } from "../../lib/logger";
import { createRuleStore } from "../../lib/store";
import type { RuleStore } from "../../lib/store/types";
import { WorkerDb } from "../../lib/worker/worker-db";
import { parseDashboardEnv, type DashboardEnv } from "../../lib/config/env";

export interface Services {
  env: DashboardEnv;
  store: RuleStore;
  auth: AuthStore;
  /** Sign-in throttle counted in DATABASE_URL, shared with every other dashboard process. */
  throttle: LoginThrottle;
  logger: Logger;
  /** The workers' drift and noise reports (database rule store only; connects on first use). */
  workerDb: WorkerDb | null;
}

const KEY = Symbol.for("ttp.dashboard.services");
type Holder = { [KEY]?: Promise<Services> };

async function build(): Promise<Services> {
  const env = parseDashboardEnv(process.env);
  const logger = createStderrLogger(env.TTP_LOG_LEVEL);
  const store = await createRuleStore({ store: env.TTP_RULE_STORE, rulesDir: env.TTP_RULES_DIR, databaseUrl: env.DATABASE_URL, logger });
  let auth: AuthStore | undefined;
  try {
    auth = await openAuthStore(env.DATABASE_URL, { sessionTtlMs: env.TTP_SESSION_TTL });
    const throttle = await openLoginThrottle(env.DATABASE_URL);
    const workerDb = env.TTP_RULE_STORE === "database" ? new WorkerDb(env.DATABASE_URL, { logger }) : null;
    return { env, store, auth, throttle, logger, workerDb };
  } catch (err) {
    await auth?.close();
    await store.close();
    throw err;
  }
}

/** The process-wide store, auth store and configuration, opened on first use (never at import). */
export function getServices(): Promise<Services> {
  const holder = globalThis as Holder;
  if (!holder[KEY]) {
    const p = build();
    holder[KEY] = p;
    // A failed start is retried by the next request instead of being cached forever.
    p.catch(() => {
      if (holder[KEY] === p) delete holder[KEY];
    });
  }
  return holder[KEY];
}
