import { TtpError } from "../errors";
import type { Logger } from "../logger";
import type { Bus } from "./bus";
import { DatabaseRuleStore } from "./database-store";
import { FilesystemRuleStore } from "./filesystem-store";

export * from "./types";
export { FilesystemRuleStore, FILESYSTEM_ACTOR, type FilesystemRuleStoreOptions } from "./filesystem-store";
export { DatabaseRuleStore, type DatabaseRuleStoreOptions, type TailOptions } from "./database-store";
export { InProcessBus, busMessageFor, publishChange, type Bus, type BusLogger } from "./bus";
export { ChangeHub, DEFAULT_MAX_BUFFERED } from "./change-hub";
export * from "./sync";

export const RULE_STORE_KINDS = ["filesystem", "database"] as const;
export type RuleStoreKind = (typeof RULE_STORE_KINDS)[number];

/** Already-parsed configuration (entry points read the environment, SPEC §3.3; this module never does). */
export interface RuleStoreConfig {
  store: RuleStoreKind;
  /** Rules directory for the filesystem backend. */
  rulesDir: string;
  /** `file:…`, `:memory:` or `postgres://…` for the database backend. */
  databaseUrl: string;
  clock?: () => number;
  bus?: Bus;
  logger?: Logger;
  /** Filesystem backend: watch the directory (default true; the CLI passes false for one-shot commands). */
  watch?: boolean;
}

/**
 * Builds the configured backend and waits until it is ready (initial scan or migrations done).
 * Throws a VALIDATION TtpError for an unknown `store` and the backend's error when it cannot start.
 */
export async function createRuleStore(config: RuleStoreConfig): Promise<FilesystemRuleStore | DatabaseRuleStore> {
  const common = {
    ...(config.clock ? { clock: config.clock } : {}),
    ...(config.bus ? { bus: config.bus } : {}),
    ...(config.logger ? { logger: config.logger } : {}),
  };
  let store: FilesystemRuleStore | DatabaseRuleStore;
  switch (config.store) {
    case "filesystem":
      store = new FilesystemRuleStore({ dir: config.rulesDir, ...common, ...(config.watch === undefined ? {} : { watch: config.watch }) });
      break;
    case "database":
      store = new DatabaseRuleStore({ url: config.databaseUrl, ...common });
      break;
    default:
      throw new TtpError(
        "VALIDATION",
        `unknown rule store "${String(config.store)}"; allowed values: ${RULE_STORE_KINDS.join(", ")}`,
      );
  }
  try {
    await store.ready();
  } catch (err) {
    await store.close().catch((closeErr: unknown) => config.logger?.warn("closing a store that failed to start failed", { error: String(closeErr) }));
    throw err;
  }
  return store;
}
