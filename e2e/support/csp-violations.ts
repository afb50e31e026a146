import type { Browser, BrowserContext, ConsoleMessage, Page, Worker } from "@playwright/test";

// Collects Content-Security-Policy violations from every page and worker of the contexts it
// watches: the documents' `securitypolicyviolation` events (reported through a binding, which,
// like the init script, Playwright injects outside the page's CSP), the browser's own CSP console
// errors, and the workers' `securitypolicyviolation` events (a worker reports them nowhere else;
// the listener goes in as soon as Playwright announces the worker, so a violation in the very
// first statements of a worker script can slip past).

const BINDING = "__e2eCspViolation";
const CSP_MESSAGE = /Content Security Policy/i;
const WORKER_MARK = "[e2e] Content Security Policy violation in a worker:";

interface ViolationEvent {
  directive: string;
  blocked: string;
  source: string;
  line: number;
  sample: string;
}

export class CspViolations {
  private readonly found: string[] = [];
  private readonly watched = new WeakSet<BrowserContext>();

  /** Violations seen so far, one line each. */
  list(): readonly string[] {
    return this.found;
  }

  /** Forgets the violations seen so far (for a test that provokes one on purpose). */
  clear(): void {
    this.found.length = 0;
  }

  async watch(context: BrowserContext): Promise<void> {
    if (this.watched.has(context)) return;
    this.watched.add(context);
    await context.exposeBinding(BINDING, ({ page }, v: ViolationEvent) => {
      this.found.push(`${page?.url() ?? "?"}: ${v.directive} refused ${v.blocked || "(inline)"} at ${v.source}:${v.line}${v.sample ? ` «${v.sample}»` : ""}`);
    });
    await context.addInitScript((binding) => {
      document.addEventListener("securitypolicyviolation", (e) => {
        const report = (window as unknown as Record<string, (v: unknown) => void>)[binding];
        void report?.({ directive: e.effectiveDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample });
      });
    }, BINDING);
    const onConsole = (where: () => string, fromWorker: boolean) => (m: ConsoleMessage) => {
      const text = m.text();
      // Chromium also shows a worker's console on its page's; count it once, from the worker.
      if (m.type() !== "error" || !CSP_MESSAGE.test(text) || (!fromWorker && text.startsWith(WORKER_MARK))) return;
      this.found.push(`${where()} (console): ${text}`);
    };
    const onWorker = (page: Page, w: Worker): void => {
      w.on("console", onConsole(() => `worker ${w.url()} of ${page.url()}`, true));
      w.evaluate((mark) => {
        self.addEventListener("securitypolicyviolation", (e) =>
          console.error(`${mark} ${e.effectiveDirective} refused ${e.blockedURI || "(inline)"} at ${e.sourceFile}:${e.lineNumber}`),
        );
      }, WORKER_MARK).catch(() => {
        // The worker ended before the listener was in; it cannot report anything any more.
      });
    };
    const onPage = (page: Page): void => {
      page.on("console", onConsole(() => page.url(), false));
      page.on("worker", (w: Worker) => onWorker(page, w));
    };
    context.pages().forEach(onPage);
    context.on("page", onPage);
  }

  /** Watches every context `browser.newContext`/`newPage` creates until the returned function is called. */
  watchNewContexts(browser: Browser): () => void {
    const original = browser.newContext;
    browser.newContext = async (...args: Parameters<Browser["newContext"]>) => {
      const context = await original.apply(browser, args);
      await this.watch(context);
      return context;
    };
    return () => {
      browser.newContext = original;
    };
  }
}
