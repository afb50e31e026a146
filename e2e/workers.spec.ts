import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "./fixtures";
import { ttp } from "./support/app-server";

// Worker ids owned here: e2e-w1. Rule ids: R1001, R1002 only fire in a worker (nothing is written to them).
test.describe.configure({ timeout: 90_000 });

test.use({ signedInAs: "viewer" });

test("a real worker's report shows on /workers: its status, counts, and the rules that fired most", async ({ page, run }) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ttp-e2e-worker-"));
  try {
    const events = Array.from({ length: 30 }, (_, i) =>
      JSON.stringify({ source_kind: "command", source_id: `e2e_w_${i}`, payload: { command_text: i % 3 === 2 ? "whoami" : "uname -a" } }),
    ).join("\n");
    const out = path.join(dir, "tags.jsonl");
    // Reads stdin to its end, then writes a last report with status "stopped" and exits 0.
    await ttp(run.databaseUrl, ["worker", "--role", "worker", "--id", "e2e-w1", "--report-interval", "100ms", "--out", out], `${events}\n`);
    const tags = readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { rule_id: string });
    expect(new Set(tags.map((t) => t.rule_id))).toEqual(new Set(["R1001", "R1002"]));

    await page.goto("/workers");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText("Workers");
    const row = page.getByRole("table", { name: "Workers" }).getByRole("row", { name: "e2e-w1", exact: true });
    await expect(row.getByRole("cell").nth(2)).toHaveText("stopped");
    await expect(row.getByRole("cell").nth(6)).toHaveText("30");
    const noisy = page.getByRole("table", { name: "Noisiest rules" });
    await expect(noisy.getByRole("row", { name: "R1001", exact: true }).getByRole("cell").nth(2)).toHaveText("20");
    await expect(noisy.getByRole("row", { name: "R1002", exact: true }).getByRole("cell").nth(2)).toHaveText("10");
    await noisy.getByRole("link", { name: "R1001" }).click();
    await expect(page).toHaveURL(/\/rules\/R1001$/);
    // The rule page says how noisy the rule is, from the same reports.
    await expect(page.getByText(/20 since the workers started/)).toBeVisible();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
