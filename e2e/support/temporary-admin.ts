import type { Browser, Page } from "@playwright/test";
import { LoginPage } from "../pages/login-page";
import { ttp } from "./app-server";
import type { RunEnv } from "./run-env";

/**
 * A throwaway admin for a spec that must change that user's role while its page is open: created
 * with `ttp user add`, signed in through the form at `path` in a fresh signed-out context, and
 * removed afterwards — a second admin left behind would let other specs demote "admin" (the
 * only-admin guard would no longer apply).
 */
export async function withTemporaryAdmin(
  browser: Browser,
  run: RunEnv,
  prefix: string,
  path: string,
  body: (page: Page, user: { name: string; demote: () => Promise<void> }) => Promise<void>,
): Promise<void> {
  const name = `${prefix}-${Date.now()}`;
  const password = `${prefix}-e2e-password`;
  await ttp(run.databaseUrl, ["user", "add", name, "--role", "admin", "--password-stdin"], password);
  const context = await browser.newContext({ baseURL: run.baseURL, storageState: { cookies: [], origins: [] } });
  try {
    const page = await context.newPage();
    const login = new LoginPage(page);
    await login.goto(path);
    await login.signIn(name, password);
    await body(page, { name, demote: async () => void (await ttp(run.databaseUrl, ["user", "role", name, "viewer"])) });
  } finally {
    await context.close();
    await ttp(run.databaseUrl, ["user", "remove", name]);
  }
}
