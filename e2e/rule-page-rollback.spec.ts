import { expect, test } from "./fixtures";
import { RulePage } from "./pages/rule-page";
import { withTemporaryAdmin } from "./support/temporary-admin";
import { markDocument } from "./support/no-reload";

// Each test owns its rule ids: R1068–R1069. The refusals are the server's own (no request is faked).

test("a Clip the server refuses on the rule page is rolled back in the state panel, and the dialog says why", async ({ page, cli }) => {
  const id = "R1068";
  const rule = new RulePage(page);
  await rule.goto(id);
  await expect(rule.live).toBeVisible();
  await expect(rule.field("State")).toHaveText("enabled");
  const notReloaded = await markDocument(page);

  const dialog = await rule.open("Clip");
  await dialog.ceiling.fill("1.5");
  await dialog.reason.fill("too high a ceiling");
  await dialog.submit.click();

  await expect(dialog.alert).toHaveText("Please fix the highlighted fields.");
  await expect(dialog.root).toContainText("confidence_max must be < 1");
  await expect(rule.field("State")).toHaveText("enabled");
  await expect(rule.field("Set by")).toHaveText("—");
  expect(await cli.state(id)).toMatchObject({ state: "enabled" });
  await notReloaded();
});

test("an Enable refused because the user was demoted meanwhile puts the old state back and says so in the panel", async ({ browser, run, cli }) => {
  const id = "R1069";
  await cli.setState(id, "disabled", ["--reason", "before the demotion"]);
  try {
    await withTemporaryAdmin(browser, run, "rp-demoted", `/rules/${id}`, async (page, user) => {
      const rule = new RulePage(page);
      await expect(rule.field("State")).toHaveText(/^disabled/);
      await expect(rule.field("Reason")).toHaveText("before the demotion");

      // Another admin demotes this user while the page is open: the buttons are still there, the server now says no.
      await user.demote();
      await rule.button("Enable").click();

      await expect(rule.statePanel.getByRole("alert")).toContainText("admin");
      await expect(rule.field("State")).toHaveText(/^disabled/);
      await expect(rule.field("Reason")).toHaveText("before the demotion");
      expect(await cli.state(id)).toMatchObject({ state: "disabled" });
    });
  } finally {
    await cli.clearState(id);
  }
});
