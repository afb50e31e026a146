import Database from "better-sqlite3";
import { expect, test } from "./fixtures";

// Worker id owned here: e2e-fire-w1. Rule id: R1076 (only its fire counts are written, never its definition or state).
test.use({ signedInAs: "viewer" });

const WORKER = "e2e-fire-w1";
const RULE = "R1076";

/** Writes what a worker's reports would have left: its row, its count for the rule and minute buckets over the last days. */
function seed(databaseUrl: string): void {
  const file = databaseUrl.replace(/^file:/, "");
  const db = new Database(file);
  try {
    db.pragma("busy_timeout = 5000");
    const now = Date.now();
    const iso = new Date(now).toISOString();
    const minute = Math.floor(now / 60_000);
    db.transaction(() => {
      db.prepare(
        `INSERT INTO ttp_worker (worker_id, role, hostname, pid, status, applied_seq, head_seq, rule_count, events_total, tags_total, malformed_total, report_interval_ms, started_at, last_seen_at, input_kind, nats_stream, nats_durable, nats_pending)
         VALUES (?, 'worker', 'e2e-host', 1, 'stopped', NULL, NULL, 1, 100, 23, 0, 5000, ?, ?, 'nats', 'E2E', 'e2e-durable', 7)
         ON CONFLICT (worker_id) DO NOTHING`,
      ).run(WORKER, iso, iso);
      db.prepare(
        `INSERT INTO ttp_rule_stats (worker_id, rule_id, fires, recent_fires, last_fired_at, updated_at) VALUES (?, ?, 23, 0, ?, ?) ON CONFLICT (worker_id, rule_id) DO NOTHING`,
      ).run(WORKER, RULE, iso, iso);
      const bucket = db.prepare(`INSERT INTO ttp_rule_fires_minute (worker_id, rule_id, minute, fires) VALUES (?, ?, ?, ?) ON CONFLICT (worker_id, rule_id, minute) DO NOTHING`);
      // 23 fires in the last 24 h, and 1,000 three days ago that the 24 h chart must leave out.
      for (const [ago, fires] of [
        [10, 5],
        [100, 7],
        [500, 11],
        [3 * 24 * 60, 1000],
      ] as const) {
        bucket.run(WORKER, RULE, minute - ago, fires);
      }
    })();
  } finally {
    db.close();
  }
}

test("the rule page charts the last 24 h of fires summed from the minute table; /workers draws a sparkline and the input", async ({ page, run }) => {
  seed(run.databaseUrl);

  await page.goto(`/rules/${RULE}`);
  const chart = page.getByRole("region", { name: "Fires, last 24 h" }).getByRole("img", { name: /^Fires of R1076 over the last 24 hours: 23 in all, at most 11 per 15 minutes/ });
  await expect(chart).toBeVisible();
  await expect(chart.locator("path")).toHaveCount(2);

  await page.goto("/workers");
  const noisy = page.getByRole("table", { name: "Noisiest rules" }).getByRole("row", { name: RULE, exact: true });
  await expect(noisy.getByRole("img", { name: "Fires of R1076 over the last 24 hours: 23." })).toBeVisible();
  const worker = page.getByRole("table", { name: "Workers" }).getByRole("row", { name: WORKER, exact: true });
  await expect(worker.getByRole("cell", { name: "nats E2E/e2e-durable, 7 pending" })).toBeVisible();
});
