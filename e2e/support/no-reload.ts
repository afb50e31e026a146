import { expect, type Page } from "@playwright/test";

/** Marks the document; the returned check fails if the page has been reloaded or navigated away since. */
export async function markDocument(page: Page): Promise<() => Promise<void>> {
  const mark = `e2e-${Math.random()}`;
  await page.evaluate((m) => ((window as unknown as { __e2eMark: string }).__e2eMark = m), mark);
  return async () => expect(await page.evaluate(() => (window as unknown as { __e2eMark?: string }).__e2eMark), "the page was reloaded").toBe(mark);
}
