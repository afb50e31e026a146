import type { Locator, Page } from "@playwright/test";

export const ACTIVITY_COLUMNS = ["Seq", "When", "Rule", "Kind", "Actor", "Change", "Reason", "Before / after"] as const;

/** /activity: the change log, newest first, filtered by rule, actor and kind (GET form). */
export class ActivityPage {
  readonly page: Page;
  readonly table: Locator;
  readonly rows: Locator;
  readonly rule: Locator;
  readonly actor: Locator;
  readonly kind: Locator;
  readonly filter: Locator;
  readonly live: Locator;

  constructor(page: Page) {
    this.page = page;
    this.table = page.getByRole("table", { name: "Activity" });
    this.rows = this.table.getByRole("row").filter({ has: page.getByRole("cell") });
    this.rule = page.getByRole("textbox", { name: "Rule", exact: true });
    this.actor = page.getByRole("textbox", { name: "Actor", exact: true });
    this.kind = page.getByRole("combobox", { name: "Kind", exact: true });
    this.filter = page.getByRole("button", { name: "Filter" });
    this.live = page.getByText("● live", { exact: true });
  }

  async goto(query = ""): Promise<void> {
    await this.page.goto(`/activity${query}`);
  }

  cell(row: Locator, column: (typeof ACTIVITY_COLUMNS)[number]): Locator {
    return row.getByRole("cell").nth(ACTIVITY_COLUMNS.indexOf(column));
  }
}
