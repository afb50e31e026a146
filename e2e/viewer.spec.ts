import { expect, test } from "./fixtures";
import { RulesPage } from "./pages/rules-page";

// Rule id owned here: R1030.

test.describe("as a viewer", () => {
  test.use({ signedInAs: "viewer" });

  test("the rule list has no Disable, Clip or Enable buttons", async ({ page }) => {
    const rules = new RulesPage(page);
    await rules.goto();
    await expect(rules.rows.first()).toBeVisible();
    await expect(page.getByRole("banner")).toContainText("viewer (viewer)");
    for (const name of ["Disable", "Clip", "Enable"]) await expect(rules.table.getByRole("button", { name, exact: true })).toHaveCount(0);
  });
});

test("a server-action POST replayed with a viewer's session is refused and changes nothing", async ({ page, pageAs, cli, playwright, baseURL }) => {
  const id = "R1030";
  const rules = new RulesPage(page);
  await rules.goto();
  await rules.show(id);
  await expect(rules.button(id, "Disable")).toBeVisible();

  // Capture the genuine request the admin's Disable dialog sends.
  const dialog = await rules.open(id, "Disable");
  await dialog.reason.fill("captured");
  const sent = page.waitForRequest((r) => r.method() === "POST" && r.headers()["next-action"] !== undefined);
  await dialog.submit.click();
  const request = await sent;
  await rules.expectConfirmed(id, "disabled");
  const all = await request.allHeaders();
  const headers: Record<string, string> = {};
  for (const h of ["next-action", "content-type", "accept", "next-router-state-tree", "origin"]) if (all[h]) headers[h] = all[h];
  const body = request.postData() ?? "";
  expect(headers["next-action"]).toBeTruthy();
  expect(body).toContain(id);

  await cli.clearState(id);
  expect(await cli.state(id)).toMatchObject({ state: "enabled", set_by: null });

  const viewer = await pageAs("viewer");
  const asViewer = await viewer.request.post(request.url(), { headers, data: body });
  expect(asViewer.status()).toBe(200);
  expect(await asViewer.text()).toContain('"code":"FORBIDDEN"');
  expect(await cli.state(id)).toMatchObject({ state: "enabled", set_by: null });

  // Explicitly empty: request contexts made in a test otherwise inherit the test's (admin) storage state.
  const anonymous = await playwright.request.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  try {
    const res = await anonymous.post(request.url(), { headers, data: body });
    expect(await res.text()).toContain('"code":"UNAUTHENTICATED"');
  } finally {
    await anonymous.dispose();
  }
  expect(await cli.state(id)).toMatchObject({ state: "enabled", set_by: null });

  // Control: the very same request with the admin's session does change the state, so the refusals above were about the role.
  const asAdmin = await page.request.post(request.url(), { headers, data: body });
  expect(await asAdmin.text()).toContain('"ok":true');
  expect(await cli.state(id)).toMatchObject({ state: "disabled", set_by: "admin", reason: "captured" });
});
