import { expect, type Locator, type Page } from "@playwright/test";
import { StateDialog } from "./state-dialog";

/** /rules/<id>: definition and the "Operational state" panel (the History section: rule-history.ts). */
export class RulePage {
  readonly page: Page;
  readonly heading: Locator;
  readonly statePanel: Locator;
  readonly live: Locator;

  constructor(page: Page) {
    this.page = page;
    this.heading = page.getByRole("heading", { level: 1 });
    this.statePanel = page.getByRole("region", { name: "Operational state" });
    this.live = page.getByText("● live", { exact: true });
  }

  async goto(ruleId: string): Promise<void> {
    await this.page.goto(`/rules/${ruleId}`);
  }

  /** A value of the panel's key/value list ("State", "Expires", "Reason", "Set by"), found by its key. */
  field(key: "State" | "Expires" | "Reason" | "Set by"): Locator {
    return this.statePanel.getByText(key, { exact: true }).locator("xpath=following-sibling::*[1]");
  }

  button(name: "Disable" | "Clip" | "Enable"): Locator {
    return this.statePanel.getByRole("button", { name, exact: true });
  }

  async open(mode: "Disable" | "Clip"): Promise<StateDialog> {
    await this.button(mode).click();
    const dialog = new StateDialog(this.page, mode);
    await expect(dialog.root).toBeVisible();
    return dialog;
  }
}
