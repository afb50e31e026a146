import { expect, test } from "./fixtures";
import { RulePage } from "./pages/rule-page";
import { markDocument } from "./support/no-reload";

// Rule ids owned here: R1035–R1036 (R1040–R1049 belong to editor.spec.ts).

test("the rule page disables and re-enables the rule from its state panel", async ({ page, cli }) => {
  const id = "R1035";
  const rule = new RulePage(page);
  await rule.goto(id);
  await expect(rule.heading).toHaveText(new RegExp(`^${id} · \\S+`));
  await expect(rule.field("State")).toHaveText("enabled");
  await expect(rule.button("Enable")).toBeDisabled();

  const dialog = await rule.open("Disable");
  await dialog.expiresIn("in 4 hours");
  await dialog.reason.fill("checked on the rule page");
  await dialog.submit.click();
  await expect(dialog.root).toBeHidden();
  await expect(rule.field("State")).toHaveText("disabled");
  await expect(rule.field("Reason")).toHaveText("checked on the rule page");
  await expect(rule.field("Set by")).toHaveText(/^admin at /);
  await expect(rule.field("Expires")).toHaveText(/^in 3h 59m \(/);
  expect(await cli.state(id)).toMatchObject({ state: "disabled", set_by: "admin", reason: "checked on the rule page" });

  await rule.button("Enable").click();
  await expect(rule.field("State")).toHaveText("enabled");
  expect(await cli.state(id)).toMatchObject({ state: "enabled", set_by: null });
});

test("a change made with the CLI appears on an open rule page", async ({ page, cli }) => {
  const id = "R1036";
  const rule = new RulePage(page);
  await rule.goto(id);
  await expect(rule.live).toBeVisible();
  const notReloaded = await markDocument(page);

  await cli.setState(id, "clipped", ["--confidence-max", "0.4", "--reason", "clipped from the cli"], "ops-cli");
  await expect(rule.field("State")).toHaveText("clipped ≤ 0.4");
  await expect(rule.field("Set by")).toHaveText(/^ops-cli at /);
  await notReloaded();
});

test("an unknown rule id is a 404", async ({ page }) => {
  const res = await page.goto("/rules/R9999");
  expect(res?.status()).toBe(404);
});

test.describe("as a viewer", () => {
  test.use({ signedInAs: "viewer" });

  test("the rule page has no state controls", async ({ page }) => {
    const rule = new RulePage(page);
    await rule.goto("R1036");
    await expect(rule.field("State")).toBeVisible();
    for (const name of ["Disable", "Clip", "Enable"] as const) await expect(rule.button(name)).toHaveCount(0);
  });
});
