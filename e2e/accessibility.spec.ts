import type { Locator, Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { RulesPage } from "./pages/rules-page";

// Rule ids owned here: R1075. Everything below is done with the keyboard only (no click, no fill).

/** Presses Tab (or Shift+Tab) until `target` has the focus; fails after `max` presses. */
async function tabTo(page: Page, target: Locator, { max = 80, back = false } = {}): Promise<void> {
  await expect(target).toBeVisible();
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
  }
  throw new Error(`${target.toString()} never got the focus after ${max} presses of ${back ? "Shift+Tab" : "Tab"}`);
}

test("the skip link is the first stop and jumps to the content; the current section is marked", async ({ page }) => {
  await page.goto("/expiring");
  await page.keyboard.press("Tab");
  const skip = page.getByRole("link", { name: "Skip to content" });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("main")).toBeFocused();

  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Expiring" })).toHaveAttribute("aria-current", "page");
  await expect(nav.locator('[aria-current="page"]')).toHaveCount(1);
  // Client-side navigation moves the mark (the layout is not rendered again).
  await tabTo(page, nav.getByRole("link", { name: "Activity" }), { back: true });
  await page.keyboard.press("Enter");
  await expect(page).toHaveURL(/\/activity$/);
  await expect(nav.getByRole("link", { name: "Activity" })).toHaveAttribute("aria-current", "page");
  await expect(nav.getByRole("link", { name: "Expiring" })).not.toHaveAttribute("aria-current", /.*/);
});

test("disable a rule from the rules list with the keyboard only", async ({ page, cli }) => {
  const id = "R1075";
  const rules = new RulesPage(page);
  await rules.goto();

  await tabTo(page, rules.search);
  await page.keyboard.type(id);
  await expect(rules.row(id)).toBeVisible();
  await expect(rules.rows).toHaveCount(1);
  await rules.expectConfirmed(id, "enabled");

  const disable = rules.button(id, "Disable");
  await tabTo(page, disable);
  // Keyboard focus is visible: an outline drawn from the theme's focus colour.
  await expect(disable).toHaveCSS("outline-style", "solid");

  // Enter opens the dialog, Escape closes it without a change and gives the focus back.
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: /^Disable / });
  await expect(dialog).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();
  await expect(disable).toBeFocused();
  await rules.expectConfirmed(id, "enabled");

  // Space opens it too; fill the reason and submit from the keyboard.
  await page.keyboard.press("Space");
  await expect(dialog).toBeVisible();
  await tabTo(page, dialog.getByLabel("Reason"));
  await page.keyboard.type("keyboard-only check");
  await tabTo(page, dialog.getByRole("button", { name: "Disable rule" }));
  await page.keyboard.press("Enter");
  await expect(dialog).toBeHidden();
  await rules.expectConfirmed(id, "disabled");
  await expect(rules.cell(id, "Reason")).toHaveText("keyboard-only check");
  expect(await cli.state(id)).toMatchObject({ state: "disabled", reason: "keyboard-only check", set_by: "admin" });
});
