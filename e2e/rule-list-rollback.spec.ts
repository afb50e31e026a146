import { expect, test } from "./fixtures";
import { RulesPage } from "./pages/rules-page";
import { withTemporaryAdmin } from "./support/temporary-admin";

// Each test owns its rule ids: R1065–R1066. The refusals are the server's own (no request is faked).

test("a Clip the server refuses is rolled back on the row, and the dialog says why", async ({ page, cli }) => {
  const id = "R1065";
  const rules = new RulesPage(page);
  await rules.goto();
  await rules.show(id);
  await rules.expectLive();
  await rules.expectConfirmed(id, "enabled");

  const dialog = await rules.open(id, "Clip");
  await dialog.ceiling.fill("1.5");
  await dialog.reason.fill("too high a ceiling");
  await dialog.root.getByRole("button", { name: "Clip rule" }).click();

  await expect(dialog.alert).toHaveText("Please fix the highlighted fields.");
  await expect(dialog.root).toContainText("confidence_max must be < 1");
  await expect(dialog.root).toBeVisible();
  await rules.expectConfirmed(id, "enabled");
  expect(await cli.state(id)).toMatchObject({ state: "enabled" });
});

test("an Enable refused because the user was demoted meanwhile puts the old state back and says so on the row", async ({ browser, run, cli }) => {
  const id = "R1066";
  await cli.setState(id, "disabled", ["--reason", "before the demotion"]);
  try {
    await withTemporaryAdmin(browser, run, "demoted", "/rules", async (page, user) => {
      const rules = new RulesPage(page);
      await expect(rules.table).toBeVisible();
      await rules.show(id);
      await rules.expectConfirmed(id, "disabled");

      // Another admin demotes this user while the page is open: the buttons are still there, the server now says no.
      await user.demote();
      await rules.button(id, "Enable").click();

      await expect(rules.row(id).getByRole("alert")).toContainText("admin");
      await rules.expectConfirmed(id, /^disabled/);
      expect(await cli.state(id)).toMatchObject({ state: "disabled" });
    });
  } finally {
    await cli.clearState(id);
  }
});
