import type { Locator, Page } from "@playwright/test";

/** The modal Disable / Clip dialog of the rule list. */
export class StateDialog {
  readonly root: Locator;
  readonly expires: Locator;
  readonly reason: Locator;
  readonly ceiling: Locator;
  readonly submit: Locator;
  readonly cancel: Locator;
  readonly alert: Locator;

  constructor(page: Page, mode: "Disable" | "Clip") {
    this.root = page.getByRole("dialog", { name: new RegExp(`^${mode} `) });
    this.expires = this.root.getByLabel("Expires", { exact: true });
    this.reason = this.root.getByLabel("Reason");
    this.ceiling = this.root.getByLabel("Confidence ceiling");
    this.submit = this.root.getByRole("button", { name: `${mode} rule` });
    this.cancel = this.root.getByRole("button", { name: "Cancel" });
    this.alert = this.root.getByRole("alert");
  }

  /** An option of the Expires list by its visible label ("in 1 hour", "No expiry", …). */
  async expiresIn(label: string): Promise<void> {
    await this.expires.selectOption({ label });
  }
}
