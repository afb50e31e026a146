import type { Locator, Page } from "@playwright/test";

/** /expiring: states with an expiry (soonest first) and what reverted in the last 24 hours. */
export class ExpiringPage {
  readonly page: Page;
  readonly expiring: Locator;
  readonly reverted: Locator;
  readonly live: Locator;
  readonly alert: Locator;

  constructor(page: Page) {
    this.page = page;
    this.expiring = page.getByRole("table", { name: "Expiring states" });
    this.reverted = page.getByRole("table", { name: "Recently reverted" });
    this.live = page.getByText("● live", { exact: true });
    this.alert = page.getByRole("main").getByRole("alert");
  }

  async goto(): Promise<void> {
    await this.page.goto("/expiring");
  }

  /** Rows of a table that link to the rule. */
  row(table: Locator, ruleId: string): Locator {
    return table.getByRole("row").filter({ has: this.page.getByRole("link", { name: ruleId, exact: true }) });
  }

  /** Rule ids of the expiring table, top to bottom. */
  async expiringIds(): Promise<string[]> {
    return this.expiring.getByRole("row").getByRole("link").allTextContents();
  }

  extend(ruleId: string, by: "1 hour" | "24 hours"): Locator {
    return this.expiring.getByRole("button", { name: `Extend ${ruleId} by ${by}` });
  }

  endNow(ruleId: string): Locator {
    return this.expiring.getByRole("button", { name: `End ${ruleId} now` });
  }
}
