import { expect, test } from "./fixtures";
import { RulesPage } from "./pages/rules-page";

// Each test owns its rule ids: R1010–R1013.
const HOUR = 3_600_000;

test("disable a rule for 1 hour with a reason: shown and persisted", async ({ page, cli }) => {
  const id = "R1010";
  const rules = new RulesPage(page);
  await rules.goto();
  await rules.show(id);
  await rules.expectConfirmed(id, "enabled");

  const dialog = await rules.open(id, "Disable");
  await dialog.expiresIn("in 1 hour");
  await dialog.reason.fill("noisy after the ls storm");
  const before = Date.now();
  await dialog.submit.click();
  await expect(dialog.root).toBeHidden();
  await rules.expectConfirmed(id, "disabled");
  const after = Date.now();
  await expect(rules.cell(id, "Expires")).toHaveText(/^in 59m \d{1,2}s$/);
  await expect(rules.cell(id, "Reason")).toHaveText("noisy after the ls storm");
  await expect(rules.cell(id, "Set by")).toHaveText("admin");

  const stored = await cli.state(id);
  expect(stored).toMatchObject({ state: "disabled", set_by: "admin", reason: "noisy after the ls storm", confidence_max: null });
  const expiresAt = Date.parse(stored.expires_at ?? "");
  expect(expiresAt).toBeGreaterThanOrEqual(before + HOUR - 1_000);
  expect(expiresAt).toBeLessThanOrEqual(after + HOUR + 1_000);

  // What a fresh load renders comes from the server, not from this page's memory.
  await page.reload();
  await rules.show(id);
  await rules.expectConfirmed(id, "disabled");
});

test("clip a rule with a ceiling of 0.3", async ({ page, cli }) => {
  const id = "R1011";
  const rules = new RulesPage(page);
  await rules.goto();
  await rules.show(id);
  const dialog = await rules.open(id, "Clip");
  await dialog.ceiling.fill("0.3");
  await dialog.expiresIn("No expiry");
  await dialog.submit.click();
  await expect(dialog.root).toBeHidden();
  await rules.expectConfirmed(id, "clipped ≤ 0.3");
  await expect(rules.cell(id, "Expires")).toHaveText("—");

  expect(await cli.state(id)).toMatchObject({ state: "clipped", confidence_max: 0.3, expires_at: null, set_by: "admin" });
});

test("Enable returns a disabled rule to enabled", async ({ page, cli }) => {
  const id = "R1012";
  await cli.setState(id, "disabled", ["--reason", "set up by the spec"]);
  const rules = new RulesPage(page);
  await rules.goto();
  await rules.show(id);
  await rules.expectConfirmed(id, "disabled");

  await rules.button(id, "Enable").click();
  await rules.expectConfirmed(id, "enabled");
  await expect(rules.button(id, "Enable")).toBeDisabled();
  expect(await cli.state(id)).toMatchObject({ state: "enabled", set_by: null, reason: null, expires_at: null });
});

test("a clip ceiling of 1.5 is refused beside the field and nothing is written", async ({ page, cli }) => {
  const id = "R1013";
  const rules = new RulesPage(page);
  await rules.goto();
  await rules.show(id);
  const dialog = await rules.open(id, "Clip");
  await dialog.ceiling.fill("1.5");
  await dialog.submit.click();

  await expect(dialog.ceiling).toHaveAttribute("aria-invalid", "true");
  await expect(dialog.ceiling).toHaveAccessibleDescription("confidence_max must be < 1 (a clip of 1 would not lower anything)");
  await expect(dialog.alert).toHaveText("Please fix the highlighted fields.");
  await expect(dialog.root).toBeVisible();
  // The optimistic chip is rolled back.
  await rules.expectConfirmed(id, "enabled");
  expect(await cli.state(id)).toMatchObject({ state: "enabled", set_by: null, confidence_max: null });

  await dialog.cancel.click();
  await expect(dialog.root).toBeHidden();
});
