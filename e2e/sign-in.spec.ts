import { expect, test } from "./fixtures";
import { LoginPage } from "./pages/login-page";
import { RulesPage } from "./pages/rules-page";
import { USERS } from "./support/users";

test.use({ signedInAs: null });

test("a signed-out visitor is sent to the sign-in page", async ({ page }) => {
  await page.goto("/rules");
  await expect(page).toHaveURL(/\/login/);
  await expect(new LoginPage(page).submit).toBeVisible();
});

test("signing in after following a link returns to the page that was asked for", async ({ page }) => {
  await page.goto("/rules/R1001");
  await expect(page).toHaveURL(/\/login\?next=%2Frules%2FR1001$/);
  await new LoginPage(page).signIn(USERS.viewer.username, USERS.viewer.password);
  await expect(page).toHaveURL(/\/rules\/R1001$/);
});

test("signing in as admin opens the rule list", async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(USERS.admin.username, USERS.admin.password);
  await expect(page).toHaveURL(/\/rules$/);
  const rules = new RulesPage(page);
  await expect(rules.table).toBeVisible();
  await expect(rules.rows.first()).toBeVisible();
  await expect(page.getByRole("banner")).toContainText("admin (admin)");
});

test("a wrong password is refused", async ({ page }) => {
  const login = new LoginPage(page);
  await login.goto();
  await login.signIn(USERS.admin.username, "not-the-password");
  await expect(login.alert).toHaveText("Wrong username or password.");
  await expect(page).toHaveURL(/\/login/);
  expect((await page.context().cookies()).map((c) => c.name)).not.toContain("ttp_session");
});

test("repeated failures for one user are throttled, even with the right password afterwards", async ({ page }) => {
  const login = new LoginPage(page);
  const user = USERS.throttled;
  await login.goto();
  for (let i = 1; i <= 5; i++) {
    // A rotating X-Forwarded-For must not reset the count (the server trusts it only with TTP_TRUST_PROXY).
    await page.setExtraHTTPHeaders({ "x-forwarded-for": `10.0.0.${i}` });
    await login.signIn(user.username, `wrong-password-${i}`);
    await expect(login.alert, `attempt ${i}`).toHaveText("Wrong username or password.");
  }
  await page.setExtraHTTPHeaders({ "x-forwarded-for": "10.0.0.99" });
  await login.signIn(user.username, "wrong-password-6");
  await expect(login.alert).toHaveText(/^Too many failed attempts\. Try again in \d+ minutes?\.$/);
  await login.signIn(user.username, user.password);
  await expect(login.alert).toHaveText(/^Too many failed attempts/);
  await expect(page).toHaveURL(/\/login/);

  // The block is per user name: another user still signs in from the same address.
  await login.signIn(USERS.viewer.username, USERS.viewer.password);
  await expect(page).toHaveURL(/\/rules$/);
});
