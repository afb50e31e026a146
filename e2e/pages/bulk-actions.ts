import { expect, type Locator, type Page } from "@playwright/test";
import { StateDialog } from "./state-dialog";

/** Row selection and the bulk bar of /rules (admins only). */
export class BulkActions {
  readonly page: Page;
  readonly bar: Locator;
  /** "N selected" */
  readonly count: Locator;
  readonly selectAllMatching: Locator;
  readonly clear: Locator;
  readonly disable: Locator;
  readonly clip: Locator;
  readonly enable: Locator;
  /** The summary of the last bulk action, e.g. "3 disabled, 1 failed: R1009 not found". */
  readonly status: Locator;

  constructor(page: Page) {
    this.page = page;
    this.bar = page.getByRole("group", { name: "Bulk actions" });
    this.count = this.bar.getByText(/^\d+ selected$/);
    this.selectAllMatching = page.getByRole("checkbox", { name: "Select all matching", exact: true });
    this.clear = this.bar.getByRole("button", { name: "Clear selection" });
    this.disable = this.bar.getByRole("button", { name: "Disable selected" });
    this.clip = this.bar.getByRole("button", { name: "Clip selected" });
    this.enable = this.bar.getByRole("button", { name: "Enable selected" });
    this.status = this.bar.getByRole("status");
  }

  checkbox(ruleId: string): Locator {
    return this.page.getByRole("checkbox", { name: `Select ${ruleId}`, exact: true });
  }

  /** Opens the shared state dialog for the selection; its submit button reads "Disable 3 rules". */
  async open(mode: "Disable" | "Clip", count: number): Promise<{ dialog: StateDialog; submit: Locator }> {
    await (mode === "Disable" ? this.disable : this.clip).click();
    const dialog = new StateDialog(this.page, mode);
    await expect(dialog.root).toBeVisible();
    const label = `${mode} ${count} ${count === 1 ? "rule" : "rules"}`;
    await expect(dialog.root.getByRole("heading")).toHaveText(label);
    return { dialog, submit: dialog.root.getByRole("button", { name: label, exact: true }) };
  }
}
