import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";

// Dark mode: prefers-color-scheme by default, a System / Light / Dark toggle kept in a cookie the
// server renders from (no script decides the theme, so the strict CSP has nothing to allow; the
// fixtures fail any test that causes a CSP violation). Reads only (R1001); no rule state written.

const DARK_BG = "rgb(13, 17, 23)";
const LIGHT_BG = "rgb(246, 247, 249)";

const bodyBackground = (page: Page): Promise<string> => page.locator("body").evaluate((b) => getComputedStyle(b).backgroundColor);

test.describe("with prefers-color-scheme: dark and no JavaScript", () => {
  test.use({ colorScheme: "dark", javaScriptEnabled: false });

  test("the server's HTML and the stylesheet alone render the dark theme", async ({ page }) => {
    await page.goto("/rules");
    await expect(page.locator("html")).toHaveAttribute("data-theme", "system");
    expect(await bodyBackground(page)).toBe(DARK_BG);
    await expect(page.getByRole("button", { name: "System" })).toHaveAttribute("aria-pressed", "true");
  });
});

test.describe("with prefers-color-scheme: light", () => {
  test.use({ colorScheme: "light" });

  test("the toggle pins a theme that survives a reload, and System follows the browser again", async ({ page, context }) => {
    await page.goto("/rules");
    expect(await bodyBackground(page)).toBe(LIGHT_BG);

    const toggle = page.getByRole("group", { name: "Theme" });
    await toggle.getByRole("button", { name: "Dark" }).click();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    await expect(toggle.getByRole("button", { name: "Dark" })).toHaveAttribute("aria-pressed", "true");
    expect(await bodyBackground(page)).toBe(DARK_BG);
    expect((await context.cookies()).find((c) => c.name === "ttp_theme")).toMatchObject({ value: "dark", httpOnly: true, sameSite: "Lax" });

    await page.reload();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    expect(await bodyBackground(page)).toBe(DARK_BG);

    await page.getByRole("group", { name: "Theme" }).getByRole("button", { name: "System" }).click();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "system");
    expect(await bodyBackground(page)).toBe(LIGHT_BG);
  });

  test("the rule editor (Monaco) follows the theme", async ({ page }) => {
    await page.goto("/rules/R1001");
    const editor = page.locator(".monaco-editor").first();
    await expect(editor).toHaveClass(/\bvs\b/);
    await page.getByRole("group", { name: "Theme" }).getByRole("button", { name: "Dark" }).click();
    await expect(editor).toHaveClass(/\bvs-dark\b/);
  });
});

test.describe("signed out, without JavaScript", () => {
  test.use({ signedInAs: null, javaScriptEnabled: false });

  test("the sign-in page's toggle works as a plain form", async ({ page }) => {
    await page.goto("/login");
    const light = await bodyBackground(page);
    await page.getByRole("group", { name: "Theme" }).getByRole("button", { name: "Dark" }).click();
    await expect(page.locator("html")).toHaveAttribute("data-theme", "dark");
    expect(await bodyBackground(page)).toBe(DARK_BG);
    expect(light).not.toBe(DARK_BG);
    await expect(page.getByLabel("Username")).toBeVisible();
  });
});
