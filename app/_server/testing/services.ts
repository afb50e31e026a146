import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openAuthStore } from "../../../lib/auth/auth-store";
import { openLoginThrottle } from "../../../lib/auth/login-throttle";
import { parseDashboardEnv } from "../../../lib/config/env";
import { createStderrLogger } from "../../../lib/logger";
import { ruleYaml } from "../../../lib/rules/testing/fixtures";
import { DatabaseRuleStore } from "../../../lib/store/database-store";
import type { Services } from "../services";

const KEY = Symbol.for("ttp.dashboard.services");

export interface TestServices {
  services: Services;
  /** `Authorization: Bearer` tokens of an admin and a viewer. */
  adminToken: string;
  viewerToken: string;
  /** A session token of the admin (the `ttp_session` cookie). */
  adminSession: string;
  close(): Promise<void>;
}

/**
 * What getServices() hands the route handlers and server actions, on a fresh SQLite file with
 * the given rules and dashboard settings (e.g. TTP_REQUIRE_REASON): real stores, no Next.js server.
 */
export async function installTestServices(ruleIds: string[], settings: Record<string, string> = {}): Promise<TestServices> {
  const dir = mkdtempSync(path.join(tmpdir(), "ttp-app-"));
  const url = `file:${path.join(dir, "ttp.db")}`;
  const env = parseDashboardEnv({ ...settings, TTP_RULE_STORE: "database", DATABASE_URL: url });
  const store = new DatabaseRuleStore({ url, expiry: false });
  await store.ready();
  for (const id of ruleIds) await store.upsertRule(ruleYaml(id), { actor: "seed" });
  const auth = await openAuthStore(url);
  const admin = await auth.createUser({ username: "ana", password: "a long test passphrase", role: "admin" }, "test");
  const viewer = await auth.createUser({ username: "vic", password: "a long test passphrase", role: "viewer" }, "test");
  const throttle = await openLoginThrottle(url);
  const services: Services = { env, store, auth, throttle, logger: createStderrLogger("silent"), workerDb: null };
  const holder = globalThis as { [KEY]?: Promise<Services> };
  holder[KEY] = Promise.resolve(services);
  return {
    services,
    adminToken: (await auth.createApiToken(admin.id, "test", "test")).token,
    viewerToken: (await auth.createApiToken(viewer.id, "test", "test")).token,
    adminSession: (await auth.createSession(admin.id)).token,
    async close() {
      delete holder[KEY];
      await store.close();
      await auth.close();
      await throttle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
