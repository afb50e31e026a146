import type { Locator, Page } from "@playwright/test";

/** The rule page's test panel: sample events in, one outcome per event out. */
export class TestPanel {
  readonly events: Locator;
  readonly run: Locator;
  readonly useExamples: Locator;
  readonly results: Locator;
  /** One line of counts: "2 events: 1 matched, 1 no match; 1 malformed entry skipped (3 ms)." */
  readonly summary: Locator;
  /** One item per evaluated event, in input order; its text reads "matched: …" or "no match: …". */
  readonly outcomes: Locator;
  readonly malformed: Locator;

  constructor(page: Page) {
    this.events = page.getByLabel("Sample events", { exact: true });
    this.run = page.getByRole("button", { name: "Run test", exact: true });
    this.useExamples = page.getByRole("button", { name: "Use the rule's examples", exact: true });
    this.results = page.getByRole("region", { name: "Test results", exact: true });
    this.summary = this.results.getByRole("status");
    this.outcomes = this.results.getByRole("list", { name: "Event outcomes" }).getByRole("listitem");
    this.malformed = this.results.getByRole("list", { name: "Malformed events" }).getByRole("listitem");
  }

  /** Puts the events in the textarea as JSON Lines and runs the test. */
  async runWith(events: (Record<string, unknown> | string)[]): Promise<void> {
    await this.paste(events.map((e) => (typeof e === "string" ? e : JSON.stringify(e))).join("\n"));
    await this.run.click();
  }

  /** Like a paste: one input event. (fill() inserts text at about 9 s per MiB here, too slow for the limit checks.) */
  async paste(text: string): Promise<void> {
    if (text.length < 64 * 1024) {
      await this.events.fill(text);
      return;
    }
    await this.events.evaluate((el, value) => {
      // React tracks the value through the prototype's setter; an input event then reaches onChange.
      const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, "value")?.set;
      setter?.call(el, value);
      el.dispatchEvent(new Event("input", { bubbles: true }));
    }, text);
  }
}
