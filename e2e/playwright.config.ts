import { defineConfig } from "@playwright/test";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./support/chromium";

// `npm run test:e2e`. Global setup builds the app, prepares a temp database and starts
// `next start`; the specs get the server's address through fixtures.ts (see README.md).

// One id per run, shared with the workers through the environment they inherit: runs started
// side by side in one checkout must not clean away each other's artefacts or logs.
process.env.TTP_E2E_RUN_ID ??= `${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "")}-${process.pid}`;

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.ts",
  globalSetup: "./support/global-setup.ts",
  outputDir: `test-results/${process.env.TTP_E2E_RUN_ID}`,
  // One worker: two cores are shared by Chromium, next start and the CLI processes the specs spawn.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: "list",
  timeout: 60_000,
  globalTimeout: 10 * 60_000,
  expect: { timeout: 10_000 },
  use: {
    browserName: "chromium",
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    viewport: { width: 1400, height: 900 },
    actionTimeout: 10_000,
    navigationTimeout: 15_000,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    video: "off",
  },
});
