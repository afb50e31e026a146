import { createStderrLogger, type Logger } from "../lib/logger";
import { DatabaseRuleStore } from "../lib/store/database-store";
import { FilesystemRuleStore } from "../lib/store/filesystem-store";
import type { RuleStore } from "../lib/store/types";
import { UsageError } from "./cli-support";
import type { TtpEnv } from "./config";

export function loggerFor(env: TtpEnv): Logger {
  return createStderrLogger(env.TTP_LOG_LEVEL);
}

/** The configured store, ready; one-shot commands do not watch the rules directory. */
export async function openStore(env: TtpEnv, options: { watch?: boolean; expiry?: boolean } = {}): Promise<RuleStore> {
  const logger = loggerFor(env);
  if (env.TTP_RULE_STORE === "filesystem") {
    const store = new FilesystemRuleStore({ dir: env.TTP_RULES_DIR, logger, watch: options.watch ?? false });
    await store.ready();
    return store;
  }
  const store = new DatabaseRuleStore({ url: env.DATABASE_URL, logger, expiry: options.expiry ?? false });
  await store.ready();
  return store;
}

/** Commands whose effect must outlive the process need the database backend. */
export async function openDatabaseStore(env: TtpEnv, what: string, options: { expiry?: boolean } = {}): Promise<DatabaseRuleStore> {
  if (env.TTP_RULE_STORE !== "database") {
    throw new UsageError(`${what} needs TTP_RULE_STORE=database (the filesystem backend keeps state in one process's memory)`);
  }
  const store = new DatabaseRuleStore({ url: env.DATABASE_URL, logger: loggerFor(env), expiry: options.expiry ?? false });
  await store.ready();
  return store;
}

