import { expect, test } from "./fixtures";
import { ACTIVITY_COLUMNS, ActivityPage } from "./pages/activity-page";
import { markDocument } from "./support/no-reload";

// Rule id owned here: R1060.

test("a change shows up in the activity log live, and the filters narrow the log", async ({ page, cli }) => {
  const id = "R1060";
  const activity = new ActivityPage(page);
  await activity.goto(`?rule=${id}`);
  await expect(activity.table.getByRole("columnheader")).toHaveText([...ACTIVITY_COLUMNS]);
  await expect(activity.live).toBeVisible();
  // The import that created the rule.
  await expect(activity.rows).toHaveCount(1);
  await expect(activity.cell(activity.rows.first(), "Kind")).toHaveText("definition");
  await expect(activity.cell(activity.rows.first(), "Change")).toContainText("created");
  const notReloaded = await markDocument(page);

  await cli.setState(id, "disabled", ["--reason", "activity check"], "auditor");
  await expect(activity.rows).toHaveCount(2);
  const newest = activity.rows.first();
  await expect(activity.cell(newest, "Rule")).toHaveText(id);
  await expect(activity.cell(newest, "Kind")).toHaveText("state");
  await expect(activity.cell(newest, "Actor")).toHaveText("auditor");
  await expect(activity.cell(newest, "Reason")).toHaveText("activity check");
  await expect(activity.cell(newest, "Change")).toHaveText("enabled → disabled");
  await notReloaded();

  await activity.actor.fill("auditor");
  await activity.kind.selectOption({ label: "State" });
  await activity.filter.click();
  await expect(page).toHaveURL(new RegExp(`/activity\\?rule=${id}&actor=auditor&kind=state$`));
  await expect(activity.rows).toHaveCount(1);
  await expect(activity.cell(activity.rows.first(), "Actor")).toHaveText("auditor");

  await activity.goto(`?rule=${id}&kind=definition`);
  await expect(activity.rows).toHaveCount(1);
  await expect(activity.cell(activity.rows.first(), "Kind")).toHaveText("definition");
});
