import { expect, type Locator, type Page } from "@playwright/test";

export class LoginPage {
  readonly page: Page;
  readonly username: Locator;
  readonly password: Locator;
  readonly submit: Locator;
  readonly alert: Locator;

  constructor(page: Page) {
    this.page = page;
    this.username = page.getByLabel("Username");
    this.password = page.getByLabel("Password");
    this.submit = page.getByRole("button", { name: "Sign in" });
    // Scoped to main: Next.js adds its own (empty) role=alert route announcer to the body.
    this.alert = page.getByRole("main").getByRole("alert");
  }

  async goto(next?: string): Promise<void> {
    await this.page.goto(next ? `/login?next=${encodeURIComponent(next)}` : "/login");
  }

  /** Fills and submits the form; resolves once the attempt is over: redirected away, or the form reset for the next try. */
  async signIn(username: string, password: string): Promise<void> {
    await this.username.fill(username);
    await this.password.fill(password);
    const answered = this.page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/login");
    await this.submit.click();
    await answered;
    // React resets the form when the action's transition ends, a moment after the response:
    // typing into it before then is wiped, and the empty required password blocks the next submit.
    await expect
      .poll(async () => !new URL(this.page.url()).pathname.startsWith("/login") || (await this.password.inputValue({ timeout: 1_000 }).catch(() => null)) === "")
      .toBe(true);
  }
}
