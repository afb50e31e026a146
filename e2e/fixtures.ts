import { test as base, expect, type Browser, type BrowserContext, type Page } from "@playwright/test";
import { LoginPage } from "./pages/login-page";
import { Cli } from "./support/cli";
import { runEnv, type RunEnv } from "./support/run-env";
import { USERS, type UserKey } from "./support/users";

type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

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
}

interface WorkerFixtures {
  run: RunEnv;
  sessions: Sessions;
}

async function signIn(browser: Browser, baseURL: string, user: UserKey): Promise<StorageState> {
  // Explicitly empty: contexts made while a test runs otherwise inherit its storage state.
  const context = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  try {
    const page = await context.newPage();
    const login = new LoginPage(page);
    await login.goto();
    await login.signIn(USERS[user].username, USERS[user].password);
    await expect(page).toHaveURL(/\/rules$/);
    return await context.storageState();
  } finally {
    await context.close();
  }
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
          if (!s) cache.set(user, (s = signIn(browser, run.baseURL, user)));
          return s;
        },
      });
    },
    { scope: "worker" },
  ],
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
