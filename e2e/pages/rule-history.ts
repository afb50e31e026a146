import type { Locator, Page } from "@playwright/test";

/** The History section of /rules/<id>: change rows, diffs with the current text, Restore (admins). */
export class RuleHistorySection {
  readonly page: Page;
  readonly root: Locator;
  readonly table: Locator;
  /** Change rows, newest first (without the header row and the diff / confirmation rows). */
  readonly rows: Locator;
  /** "Restored revision 1 as revision 3." */
  readonly status: Locator;
  readonly alert: Locator;
  readonly older: Locator;

  constructor(page: Page) {
    this.page = page;
    this.root = page.getByRole("region", { name: "History", exact: true });
    this.table = this.root.getByRole("table", { name: "History", exact: true });
    this.rows = this.table.getByRole("row").filter({ has: page.getByRole("cell") }).filter({ hasNot: page.getByRole("region") }).filter({ hasNot: page.getByRole("group") });
    this.status = this.root.getByRole("status");
    this.alert = this.root.getByRole("alert");
    this.older = this.root.getByRole("button", { name: "Older", exact: true });
  }

  compare(revision: number): Locator {
    return this.root.getByRole("button", { name: `Compare revision ${revision} with current`, exact: true });
  }

  restore(revision: number): Locator {
    return this.root.getByRole("button", { name: `Restore revision ${revision}`, exact: true });
  }

  /** The confirmation's button that stores the old text as a new revision. */
  confirmRestore(revision: number): Locator {
    return this.root.getByRole("button", { name: `Restore revision ${revision} as new revision`, exact: true });
  }

  /** The diff of a revision with the current text; `insertion` / `deletion` roles inside are the +/- lines. */
  diff(revision: number): Locator {
    return this.root.getByRole("region", { name: `Diff revision ${revision} → current`, exact: true });
  }
}
