import type { Browser, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { LoginPage } from "./pages/login-page";
import { UsersPage } from "./pages/users-page";

// Users owned here: e2e_carol, e2e_dave (created and removed). Rule ids: none (the API check reads).
test.describe.configure({ timeout: 90_000 });

/** A page of its own signed in through the login form as a user this spec created. */
async function signInAs(browser: Browser, baseURL: string, username: string, password: string): Promise<Page> {
  const context = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(username, password);
  await expect(page).toHaveURL(/\/rules$/);
  return page;
}

test("an admin adds a user, changes its role and password, and removes it; sessions follow at once", async ({ page, browser, baseURL }) => {
  const users = new UsersPage(page);
  await users.goto();
  await expect(users.row("admin")).toContainText("(you)");
  await expect(users.row("admin").getByRole("button", { name: "Remove" })).toHaveCount(0);

  // A too-short password is refused beside its field; nothing is created.
  await users.addUser("e2e_carol", "viewer", "short");
  await expect(users.addForm.getByText("password must be at least 10 characters")).toBeVisible();
  await expect(users.row("e2e_carol")).toHaveCount(0);

  await users.addUser("e2e_carol", "viewer", "carol first password");
  await expect(users.status).toHaveText("Added e2e_carol (viewer).");
  await expect(users.roleOf("e2e_carol")).toHaveValue("viewer");
  await expect(users.row("e2e_carol")).toContainText("admin"); // added by

  const carol = await signInAs(browser, baseURL as string, "e2e_carol", "carol first password");
  await expect(carol.getByRole("banner")).toContainText("e2e_carol (viewer)");
  await expect(carol.getByRole("link", { name: "Users" })).toHaveCount(0);

  // The only admin cannot demote itself.
  await users.roleOf("admin").selectOption("viewer");
  await expect(users.alert).toContainText('"admin" is the only admin');
  await expect(users.roleOf("admin")).toHaveValue("admin");

  // Promote: effective on carol's next request.
  await users.roleOf("e2e_carol").selectOption("admin");
  await expect(users.status).toHaveText("e2e_carol is now admin.");
  await carol.reload();
  await expect(carol.getByRole("banner")).toContainText("e2e_carol (admin)");
  await expect(carol.getByRole("link", { name: "Users" })).toBeVisible();

  // A new password signs carol out everywhere.
  await users.setPassword("e2e_carol", "carol second password");
  await expect(users.status).toHaveText("Password of e2e_carol set; their sessions are signed out.");
  await carol.reload();
  await expect(carol).toHaveURL(/\/login/);
  await carol.context().close();
  const carol2 = await signInAs(browser, baseURL as string, "e2e_carol", "carol second password");

  await expect(carol2.getByText("● live", { exact: true })).toBeVisible();

  await users.remove("e2e_carol");
  await expect(users.status).toHaveText("Removed e2e_carol.");
  await expect(users.row("e2e_carol")).toHaveCount(0);
  // No reload: the open page's live stream is re-checked every 5 s and closed; the page then
  // finds its session gone and lands on the sign-in page by itself.
  await expect(carol2).toHaveURL(/\/login/, { timeout: 20_000 });
  await carol2.context().close();

  // Every change above is on the page's account log, by admin (the password change by admin too).
  await users.goto();
  const log = page.getByRole("table", { name: "Account changes" });
  const carolRows = log.getByRole("row").filter({ hasText: "e2e_carol" });
  await expect(carolRows.first()).toContainText("user removed");
  await expect(carolRows).toHaveCount(4);
  await expect(carolRows.nth(1)).toContainText("password set");
  await expect(carolRows.nth(2)).toContainText("viewer → admin");
  await expect(carolRows.nth(3)).toContainText("user added");
});

test("an API token is shown once, works as a bearer token, and stops working when revoked", async ({ page, playwright, baseURL }) => {
  const users = new UsersPage(page);
  await users.goto();
  await users.addUser("e2e_dave", "viewer", "dave first password");
  await expect(users.status).toHaveText("Added e2e_dave (viewer).");
  const token = await users.createToken("e2e_dave", "e2e script");
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const row = users.tokens.getByRole("row", { name: "e2e_dave e2e script", exact: true });
  await expect(row).toContainText("never");

  const api = await playwright.request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  try {
    const ok = await api.get("/api/v1/ttp/rules", { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status()).toBe(200);
    await users.goto(); // the list no longer holds the token, only its id
    await expect(page.getByRole("textbox", { name: "Token", exact: true })).toHaveCount(0);
    await expect(row.locator("td").nth(4)).not.toHaveText("never");

    await users.revoke("e2e_dave", "e2e script");
    await expect(users.status).toHaveText('Revoked "e2e script" of e2e_dave.');
    await expect(row).toHaveCount(0);
    const refused = await api.get("/api/v1/ttp/rules", { headers: { authorization: `Bearer ${token}` } });
    expect(refused.status()).toBe(401);
  } finally {
    await api.dispose();
  }
  await users.remove("e2e_dave");
  await expect(users.row("e2e_dave")).toHaveCount(0);
});

test("a user changes their own password on the Account page: the current one is checked, other sessions end, this one continues", async ({ page, browser, baseURL }) => {
  const users = new UsersPage(page);
  await users.goto();
  await users.addUser("e2e_carol", "viewer", "carol own password 1");
  await expect(users.status).toHaveText("Added e2e_carol (viewer).");
  const here = await signInAs(browser, baseURL as string, "e2e_carol", "carol own password 1");
  const elsewhere = await signInAs(browser, baseURL as string, "e2e_carol", "carol own password 1");

  await here.getByRole("link", { name: "e2e_carol (viewer)" }).click();
  await expect(here).toHaveURL(/\/account$/);
  const form = here.getByRole("form", { name: "Change password" });
  await form.getByLabel("Current password").fill("not my password");
  await form.getByLabel("New password (at least 10 characters)").fill("carol own password 2");
  await form.getByLabel("New password again").fill("carol own password 2");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByText("That is not your current password.")).toBeVisible();

  await form.getByLabel("Current password").fill("carol own password 1");
  await form.getByLabel("New password (at least 10 characters)").fill("carol own password 2");
  await form.getByLabel("New password again").fill("carol own password 2");
  await form.getByRole("button", { name: "Change password" }).click();
  await expect(form.getByRole("status")).toHaveText("Password changed. Your other sessions are signed out; this one continues.");
  await here.goto("/rules");
  await expect(here).toHaveURL(/\/rules$/);
  await elsewhere.reload();
  await expect(elsewhere).toHaveURL(/\/login/);
  await here.context().close();
  await elsewhere.context().close();

  await users.goto();
  await users.remove("e2e_carol");
  await expect(users.row("e2e_carol")).toHaveCount(0);
});

test.describe("as a viewer", () => {
  test.use({ signedInAs: "viewer" });
  test("the Users page refuses and the menu has no Users link", async ({ page }) => {
    await page.goto("/users");
    await expect(page.getByRole("main").getByRole("alert")).toHaveText("Managing users needs the admin role; you are signed in as viewer (viewer).");
    await expect(page.getByRole("link", { name: "Users" })).toHaveCount(0);
  });
});
