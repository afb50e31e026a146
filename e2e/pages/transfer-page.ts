import { expect, type Locator, type Page } from "@playwright/test";

/** /rules/import-export: export as a zip, import a zip with a preview. */
export class TransferPage {
  readonly page: Page;
  readonly download: Locator;
  readonly file: Locator;
  readonly deleteMissing: Locator;
  readonly previewButton: Locator;
  readonly apply: Locator;
  /** Form-level refusal (and the preview's list of problems). */
  readonly alerts: Locator;
  readonly preview: Locator;
  readonly result: Locator;

  constructor(page: Page) {
    this.page = page;
    this.download = page.getByRole("link", { name: /^Download all \d+ rules \(\.zip\)$/ });
    this.file = page.getByLabel("Rule pack (.zip)");
    this.deleteMissing = page.getByRole("checkbox", { name: "Delete rules that are not in the pack" });
    this.previewButton = page.getByRole("button", { name: "Preview import" });
    this.apply = page.getByRole("button", { name: "Apply import" });
    // Scoped to main: Next.js adds its own (empty) role=alert route announcer to the body.
    this.alerts = page.getByRole("main").getByRole("alert");
    this.preview = page.getByRole("region", { name: /^Preview of / });
    this.result = page.getByRole("region", { name: "Import result" });
  }

  async goto(): Promise<void> {
    await this.page.goto("/rules/import-export");
    await expect(this.page.getByRole("heading", { name: "Import / export rule packs" })).toBeVisible();
  }

  /** A preview section ("To add", "To change", "Unchanged", "To delete"), named with its count. */
  section(title: "To add" | "To change" | "Unchanged" | "To delete"): Locator {
    return this.preview.getByRole("region", { name: new RegExp(`^${title} \\(\\d+\\)$`) });
  }

  /** Chooses an in-memory file and asks for the preview; resolves once the preview (or a refusal) is shown. */
  async previewUpload(name: string, buffer: Buffer, mimeType = "application/zip"): Promise<void> {
    await this.file.setInputFiles({ name, mimeType, buffer });
    await this.previewButton.click();
    await expect(this.previewButton).toHaveText("Preview import");
  }
}
