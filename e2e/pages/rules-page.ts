import { expect, type Locator, type Page } from "@playwright/test";
import { StateDialog } from "./state-dialog";

/** Column headers of the Rules table, in order (a spec checks them against the page). */
export const RULE_COLUMNS = ["ID", "Name", "Tactic", "Technique", "Source kinds", "State", "Expires", "Reason", "Set by", "Origin", "Rev", "Actions"] as const;
export type RuleColumn = (typeof RULE_COLUMNS)[number];

/**
 * /rules. The table is virtualised: only rows in view are in the DOM, so `show(id)` filters the
 * list down to the rule before its row is used.
 */
export class RulesPage {
  readonly page: Page;
  readonly table: Locator;
  readonly search: Locator;
  /** "N of M rules" — no accessible handle of its own, hence the test id. */
  readonly count: Locator;
  readonly live: Locator;
  readonly headers: Locator;
  /** Data rows (the header row holds column headers, not cells). */
  readonly rows: Locator;

  constructor(page: Page) {
    this.page = page;
    this.table = page.getByRole("table", { name: "Rules" });
    this.search = page.getByRole("searchbox", { name: "Search" });
    this.count = page.getByTestId("rule-count");
    this.live = page.getByText("● live", { exact: true });
    this.headers = this.table.getByRole("columnheader");
    this.rows = this.table.getByRole("row").filter({ has: page.getByRole("cell") });
  }

  async goto(query = ""): Promise<void> {
    await this.page.goto(`/rules${query}`);
    await expect(this.table).toBeVisible();
  }

  /** Waits for the live-update stream to be connected. */
  async expectLive(): Promise<void> {
    await expect(this.live).toBeVisible();
  }

  /** Filters the list by the rule id and waits for its row. */
  async show(ruleId: string): Promise<Locator> {
    await this.search.fill(ruleId);
    const row = this.row(ruleId);
    await expect(row).toBeVisible();
    return row;
  }

  row(ruleId: string): Locator {
    return this.rows.filter({ has: this.page.getByRole("cell", { name: ruleId, exact: true }) });
  }

  cell(ruleId: string, column: RuleColumn): Locator {
    return this.row(ruleId).getByRole("cell").nth(RULE_COLUMNS.indexOf(column));
  }

  /** The state cell: "enabled", "disabled", "clipped ≤ x" — with " saving…" appended while the server action runs. */
  state(ruleId: string): Locator {
    return this.cell(ruleId, "State");
  }

  button(ruleId: string, name: "Disable" | "Clip" | "Enable"): Locator {
    return this.row(ruleId).getByRole("button", { name, exact: true });
  }

  async open(ruleId: string, mode: "Disable" | "Clip"): Promise<StateDialog> {
    await this.button(ruleId, mode).click();
    const dialog = new StateDialog(this.page, mode);
    await expect(dialog.root).toBeVisible();
    return dialog;
  }

  /** The state is the server's (not the optimistic one): the chip shows `text` and the row is no longer busy. */
  async expectConfirmed(ruleId: string, text: string | RegExp): Promise<void> {
    await expect(this.state(ruleId)).toHaveText(text);
    await expect(this.row(ruleId)).not.toHaveAttribute("aria-busy", "true");
  }
}
