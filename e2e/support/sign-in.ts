import type { Browser, BrowserContext } from "@playwright/test";
import { LoginPage } from "../pages/login-page";
import { USERS, type UserKey } from "./users";

export type StorageState = Awaited<ReturnType<BrowserContext["storageState"]>>;

/**
 * Signs `user` in through the login form in a throwaway context and returns its browser storage
 * (the session cookie), for contexts that should start signed in. Used by the spec fixtures and
 * the browser benchmarks.
 */
export async function signedInStorage(browser: Browser, baseURL: string, user: UserKey = "admin"): Promise<StorageState> {
  // Explicitly empty: contexts made while a test runs otherwise inherit its storage state.
  const context = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  try {
    const page = await context.newPage();
    const login = new LoginPage(page);
    await login.goto();
    await login.signIn(USERS[user].username, USERS[user].password);
    await page.waitForURL(/\/rules$/);
    return await context.storageState();
  } finally {
    await context.close();
  }
}
