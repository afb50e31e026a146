import { expect, test } from "./fixtures";
import { RULE_COLUMNS, RulesPage } from "./pages/rules-page";

const COUNT = /^(\d+) of (\d+) rules$/;

async function counts(rules: RulesPage): Promise<{ shown: number; total: number }> {
  const m = COUNT.exec((await rules.count.textContent()) ?? "");
  if (!m) throw new Error(`unexpected count text: ${await rules.count.textContent()}`);
  return { shown: Number(m[1]), total: Number(m[2]) };
}

test("the table has the expected columns", async ({ page }) => {
  const rules = new RulesPage(page);
  await rules.goto();
  await expect(rules.headers).toHaveText([...RULE_COLUMNS]);
});

test("search narrows the list and the URL carries ?q=", async ({ page }) => {
  const rules = new RulesPage(page);
  await rules.goto();
  await expect(rules.count).toHaveText(COUNT);
  const { total } = await counts(rules);
  await expect(rules.count).toHaveText(`${total} of ${total} rules`);
  expect(total).toBeGreaterThan(1);

  await rules.search.fill("R1042");
  await expect(rules.count).toHaveText(`1 of ${total} rules`);
  await expect(rules.rows).toHaveCount(1);
  await expect(rules.row("R1042")).toBeVisible();
  await expect(page).toHaveURL(/\/rules\?q=R1042$/);

  await rules.search.fill("");
  await expect(rules.count).toHaveText(`${total} of ${total} rules`);
  await expect(page).toHaveURL(/\/rules$/);
});

test("a ?q= link opens the list already filtered", async ({ page }) => {
  const rules = new RulesPage(page);
  await rules.goto("?q=discovery");
  await expect(rules.search).toHaveValue("discovery");
  await expect(rules.count).toHaveText(COUNT);
  const { shown, total } = await counts(rules);
  expect(shown).toBeGreaterThan(1);
  expect(shown).toBeLessThan(total);
  await expect(rules.rows.first()).toContainText(/discovery/i);
});

test("search also covers descriptions (loaded after the list)", async ({ page }) => {
  const rules = new RulesPage(page);
  await rules.goto();
  // "hostnamectl" is only in R1001's description (and pattern), not in any id, name or ATT&CK name.
  await rules.search.fill("hostnamectl");
  await expect(rules.rows).toHaveCount(1);
  await expect(rules.row("R1001")).toBeVisible();
});
