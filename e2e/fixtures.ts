import { test as base, expect, type BrowserContext, type Page } from "@playwright/test";
import { Cli } from "./support/cli";
import { CspViolations } from "./support/csp-violations";
import { runEnv, type RunEnv } from "./support/run-env";
import { signedInStorage, type StorageState } from "./support/sign-in";
import type { UserKey } from "./support/users";

interface Sessions {
  /** Signed-in browser storage of a user, signing in through the login form once per worker. */
  get(user: UserKey): Promise<StorageState>;
}

interface TestFixtures {
  /** Who the default `page` is signed in as; null for a signed-out page. */
  signedInAs: UserKey | null;
  cli: Cli;
  /** A page in a new context signed in as another user (closed after the test). */
  pageAs: (user: UserKey) => Promise<Page>;
  /** Content-Security-Policy violations of every browser context of the test; any left at the end fail it. */
  cspViolations: CspViolations;
}

interface WorkerFixtures {
  run: RunEnv;
  sessions: Sessions;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads fixture dependencies from this pattern
  run: [async ({}, use) => use(runEnv()), { scope: "worker" }],
  sessions: [
    async ({ browser, run }, use) => {
      const cache = new Map<UserKey, Promise<StorageState>>();
      await use({
        get(user) {
          let s = cache.get(user);
          if (!s) cache.set(user, (s = signedInStorage(browser, run.baseURL, user)));
          return s;
        },
      });
    },
    { scope: "worker" },
  ],
  cspViolations: [
    async ({ browser }, use) => {
      const csp = new CspViolations();
      const restore = csp.watchNewContexts(browser);
      try {
        await use(csp);
      } finally {
        restore();
      }
      expect(csp.list(), "Content-Security-Policy violations").toEqual([]);
    },
    { auto: true },
  ],
  context: async ({ context, cspViolations }, use) => {
    await cspViolations.watch(context);
    await use(context);
  },
  baseURL: async ({ run }, use) => use(run.baseURL),
  signedInAs: ["admin", { option: true }],
  storageState: async ({ signedInAs, sessions }, use) => use(signedInAs ? await sessions.get(signedInAs) : undefined),
  cli: async ({ run }, use) => use(new Cli(run.databaseUrl)),
  pageAs: async ({ browser, sessions, run }, use) => {
    const contexts: BrowserContext[] = [];
    await use(async (user) => {
      const context = await browser.newContext({ baseURL: run.baseURL, storageState: await sessions.get(user) });
      contexts.push(context);
      return context.newPage();
    });
    for (const c of contexts) await c.close();
  },
});

export { expect };
