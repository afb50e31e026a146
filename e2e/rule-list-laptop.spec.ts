import { expect, test } from "./fixtures";
import { RulesPage } from "./pages/rules-page";

test.use({ viewport: { width: 1366, height: 768 } });

test("on a 1366×768 screen every row's actions are on screen and nothing scrolls sideways", async ({ page }) => {
  const rules = new RulesPage(page);
  await rules.goto();
  await expect(rules.rows.first()).toBeVisible();
  const rows = await rules.rows.count();
  expect(rows).toBeGreaterThan(5);
  for (let i = 0; i < rows; i++) {
    const row = rules.rows.nth(i);
    if (!(await row.isVisible())) continue;
    const last = row.getByRole("button", { name: "Enable", exact: true });
    const box = await last.boundingBox();
    expect(box, `row ${i}: the Enable button has no box`).not.toBeNull();
    if (box) expect(box.x + box.width, `row ${i}: Enable ends at ${box.x + box.width}`).toBeLessThanOrEqual(1366);
  }
  const overflow = await page.evaluate(() => {
    const scroll = document.querySelector('[role="table"] .grid-scroll');
    return {
      grid: scroll ? scroll.scrollWidth - scroll.clientWidth : Number.NaN,
      page: document.documentElement.scrollWidth - window.innerWidth,
    };
  });
  expect(overflow.grid, "the grid scrolls sideways").toBeLessThanOrEqual(0);
  expect(overflow.page, "the page scrolls sideways").toBeLessThanOrEqual(0);
});

test("cut text is whole on hover and on focus; sortable headers are buttons with aria-sort", async ({ page }) => {
  const rules = new RulesPage(page);
  await rules.goto();
  const row = await rules.show("R1001");
  const name = rules.cell("R1001", "Name");
  const full = (await name.textContent()) ?? "";
  await expect(name).toHaveAttribute("title", new RegExp(`^${full.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  await name.focus();
  await expect(name).toBeFocused();
  await expect(row).toBeVisible();

  const header = (label: string) => rules.headers.filter({ has: page.getByRole("button", { name: label, exact: true }) });
  await expect(header("ID")).toHaveAttribute("aria-sort", "ascending");
  await expect(header("Name")).toHaveAttribute("aria-sort", "none");
  await header("Name").getByRole("button").click();
  await expect(header("Name")).toHaveAttribute("aria-sort", "ascending");
  await expect(header("ID")).toHaveAttribute("aria-sort", "none");
  await expect(page).toHaveURL(/sort=name/);
  await expect(rules.headers).toHaveText(["ID", "Name", "Tactic", "Technique", "Source kinds", "State", "Expires", "Reason", "Set by", "Origin", "Rev", "Actions"]);
});
