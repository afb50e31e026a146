import { expect, test } from "./fixtures";
import { RulesPage } from "./pages/rules-page";
import { markDocument } from "./support/no-reload";

// Owns R1067. Two tabs of one browser: each has its own /api/events stream (one per tab).

test("a change made in one tab shows in another open tab, and back, without a reload", async ({ page, context }) => {
  const id = "R1067";
  const first = new RulesPage(page);
  const second = new RulesPage(await context.newPage());
  for (const tab of [first, second]) {
    await tab.goto();
    await tab.show(id);
    await tab.expectLive();
  }
  const notReloaded = await markDocument(second.page);

  const dialog = await first.open(id, "Disable");
  await dialog.reason.fill("from the first tab");
  await dialog.submit.click();
  await first.expectConfirmed(id, "disabled");
  await expect(second.state(id)).toHaveText("disabled");
  await expect(second.cell(id, "Reason")).toHaveText("from the first tab");

  await second.button(id, "Enable").click();
  await second.expectConfirmed(id, "enabled");
  await expect(first.state(id)).toHaveText("enabled");
  await notReloaded();
});
