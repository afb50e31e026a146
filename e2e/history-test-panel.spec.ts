import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect, test } from "./fixtures";
import { RulePage } from "./pages/rule-page";
import { RuleHistorySection } from "./pages/rule-history";
import { TestPanel } from "./pages/test-panel";
import { ROOT } from "./support/app-server";
import type { Cli } from "./support/cli";

// Rule ids owned here: R1053–R1057 and R1074 (R1050–R1052 belong to expiring.spec.ts).

interface ListedRule {
  rule_id: string;
  revision: number;
  origin: string;
  updated_by: string | null;
}

async function listed(cli: Cli, ruleId: string): Promise<ListedRule> {
  const all = JSON.parse((await cli.run(["rules", "list", "--json"])).stdout) as ListedRule[];
  const rule = all.find((r) => r.rule_id === ruleId);
  if (!rule) throw new Error(`${ruleId} is not listed`);
  return rule;
}

/** The sample pack's text of a rule, and a revision 2 of it written by `ttp rules import` of an edited copy. */
async function importEdited(cli: Cli, ruleId: string, edit: (yaml: string) => string): Promise<{ original: string; edited: string }> {
  const original = await readFile(path.join(ROOT, "rules/ttp", `${ruleId}.yaml`), "utf8");
  const edited = edit(original);
  expect(edited, "the edit changes the text").not.toBe(original);
  const dir = await mkdtemp(path.join(os.tmpdir(), "ttp-e2e-history-"));
  try {
    await writeFile(path.join(dir, `${ruleId}.yaml`), edited);
    await cli.run(["rules", "import", dir, "--by", "e2e-history"]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return { original, edited };
}

async function exported(cli: Cli, ruleId: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "ttp-e2e-export-"));
  try {
    await cli.run(["rules", "export", dir]);
    return await readFile(path.join(dir, `${ruleId}.yaml`), "utf8");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test("History compares revision 1 with the current text and restores it as revision 3", async ({ page, cli }) => {
  // Three real CLI processes (import, list, export) on a shared 2-core machine.
  test.setTimeout(60_000);
  const id = "R1055";
  const { original } = await importEdited(cli, id, (y) => y.replace(/^name: (.*)$/m, "name: $1_v2"));

  const rule = new RulePage(page);
  await rule.goto(id);
  const history = new RuleHistorySection(page);
  await expect(history.rows).toHaveCount(2);
  await expect(history.rows.first()).toContainText("rev 1 (v1, import) → rev 2 (v1, import)");
  await expect(history.rows.first()).toContainText("e2e-history");
  await expect(history.rows.first()).toContainText("current");
  await expect(history.restore(2)).toHaveCount(0);

  await history.compare(1).click();
  const diff = history.diff(1);
  await expect(diff).toContainText("Revision 1 → current (revision 2): +1 −1 line");
  await expect(diff.getByRole("deletion")).toHaveText(["removed: name: internet_wide_scanner_user_agent"]);
  await expect(diff.getByRole("insertion")).toHaveText(["added: name: internet_wide_scanner_user_agent_v2"]);
  await expect(diff.getByRole("row").filter({ has: page.getByRole("deletion") }).getByRole("cell").first()).toHaveText(/^\d+$/);

  await history.restore(1).click();
  await history.confirmRestore(1).click();
  await expect(history.status).toHaveText("Restored revision 1 as revision 3.");
  await expect(history.rows).toHaveCount(3);
  await expect(history.rows.first()).toContainText("rev 2 (v1, import) → rev 3 (v1, dashboard)");
  await expect(history.rows.first()).toContainText("admin");
  // The open diff follows the new current text: revision 1 is now identical to it.
  await expect(history.diff(1)).toContainText("Revision 1 has the same text as the current revision 3.");

  expect(await listed(cli, id)).toMatchObject({ revision: 3, origin: "dashboard", updated_by: "admin" });
  expect(await exported(cli, id)).toBe(original);
});

test("a restore refused because the rule changed meanwhile says so and writes nothing", async ({ page, cli }) => {
  test.setTimeout(60_000);
  const id = "R1056";
  await importEdited(cli, id, (y) => y.replace(/^name: (.*)$/m, "name: $1_v2"));
  // No live stream: the page must not hear of the revision another process writes meanwhile.
  await page.route("**/api/events**", (route) => route.abort());
  const rule = new RulePage(page);
  await rule.goto(id);
  const history = new RuleHistorySection(page);
  await expect(history.rows).toHaveCount(2);
  await history.restore(1).click();
  await importEdited(cli, id, (y) => y.replace(/^name: (.*)$/m, "name: $1_v3"));
  await history.confirmRestore(1).click();
  await expect(history.alert).toContainText(`someone changed ${id} after you opened it (you saw revision 2; it is now at revision 3)`);
  expect(await listed(cli, id)).toMatchObject({ revision: 3, origin: "import" });
});

test.describe("as a viewer", () => {
  test.use({ signedInAs: "viewer" });

  test("History offers Compare but no Restore", async ({ page, cli }) => {
    const id = "R1057";
    await importEdited(cli, id, (y) => y.replace(/^name: (.*)$/m, "name: $1_v2"));
    const rule = new RulePage(page);
    await rule.goto(id);
    const history = new RuleHistorySection(page);
    await expect(history.rows).toHaveCount(2);
    await expect(history.compare(1)).toBeVisible();
    await expect(history.root.getByRole("button", { name: /^Restore/ })).toHaveCount(0);
  });
});

test("the test panel shows the clipped tag of a matching event and why the others did not match", async ({ page, cli }) => {
  const id = "R1054";
  await cli.setState(id, "clipped", ["--confidence-max", "0.3", "--reason", "test panel spec"]);
  const rule = new RulePage(page);
  await rule.goto(id);
  const panel = new TestPanel(page);
  await panel.runWith([
    { source_kind: "http_request", source_id: "req_1", payload: { raw_url: "/?id=1'", user_agent: "sqlmap/1.7.2#stable (https://sqlmap.org)" } },
    '{"source_kind": "http_request", "payload": {oops}}',
    { source_kind: "http_request", payload: { raw_url: "/", user_agent: "Mozilla/5.0 (X11; Linux x86_64)" } },
    { source_kind: "command", payload: { command_text: "nikto -h 10.0.0.1", user_agent: "nikto" } },
    { source_kind: "http_request", payload: { raw_url: "/nikto" } },
  ]);
  await expect(panel.summary).toHaveText(/^4 events: 1 matched, 3 no match; 1 malformed entry skipped \(/);
  await expect(panel.outcomes).toHaveCount(4);
  await expect(panel.outcomes.nth(0)).toContainText("matched: T1595.002 (TA0043) confidence 0.3 (clipped from 0.9)");
  await expect(panel.outcomes.nth(0)).toContainText("event 1 (line 1) · http_request · req_1");
  await expect(panel.outcomes.nth(1)).toContainText("no match: the pattern did not match payload.user_agent");
  await expect(panel.outcomes.nth(2)).toContainText('no match: source_kind "command" is not in applies_to (http_request)');
  await expect(panel.outcomes.nth(3)).toContainText('no match: payload has no "user_agent", the field the pattern reads');
  await expect(panel.malformed).toHaveText([/^line 2: skipped: not valid JSON/]);
  await expect(panel.results).toContainText(`${id} is clipped to 0.3`);

  await panel.useExamples.click();
  await expect(panel.summary).toHaveText(/^6 examples: 6 passed, 0 failed \(/);
  await expect(panel.outcomes).toHaveCount(6);
  await expect(panel.outcomes.first()).toContainText("PASS");
});

test("the test panel runs an analyzer rule with the real analyzer: scaled and clipped tags, and why an event did not fire", async ({ page, cli }) => {
  const id = "R1074";
  await cli.setState(id, "clipped", ["--confidence-max", "0.45", "--reason", "test panel analyzer spec"]);
  const rule = new RulePage(page);
  await rule.goto(id);
  const panel = new TestPanel(page);
  await panel.runWith([
    { source_kind: "intel", source_id: "intel_1", payload: { abuseipdb_score: 80, abuseipdb_categories: [18, 19] } },
    { source_kind: "intel", payload: { abuseipdb_score: 100, abuseipdb_categories: [11, 13] } },
    { source_kind: "intel", payload: { abuseipdb_score: "95", abuseipdb_categories: [18] } },
  ]);
  await expect(panel.summary).toHaveText(/^3 events: 1 matched, 2 no match/);
  // The score scales each base (0.6 × 0.8 = 0.48, 0.5 × 0.8 = 0.4), then the clip at 0.45 applies.
  await expect(panel.outcomes.nth(0)).toContainText("T1110 (TA0006) confidence 0.45 (clipped from 0.48) (emits 0.6, scaled by the analyzer)");
  await expect(panel.outcomes.nth(0)).toContainText("T1595 (TA0043) confidence 0.4 (emits 0.5, scaled by the analyzer)");
  await expect(panel.outcomes.nth(1)).toContainText("no match: lifter:intel_abuseipdb decided T1566, T1496, T1090, but emits has no entry for T1566, T1496, T1090");
  await expect(panel.outcomes.nth(2)).toContainText("no match: lifter:intel_abuseipdb skipped the event: a field it reads has the wrong type");
  await panel.useExamples.click();
  await expect(panel.summary).toHaveText(/^5 examples: 5 passed, 0 failed \(/);
});

test("the test panel runs 1,000 events near 1 MiB and refuses the 1,001st with a clear message", async ({ page }) => {
  // Two ~1 MB round trips and 1,000 rendered outcomes; slow when the shared machine is busy.
  test.setTimeout(60_000);
  const id = "R1053";
  const rule = new RulePage(page);
  await rule.goto(id);
  const panel = new TestPanel(page);
  const pad = "x".repeat(900);
  const events = Array.from({ length: 1000 }, (_, i) => ({ source_kind: "http_request", source_id: `req_${i}`, payload: { raw_url: `/page/${i}`, note: pad } }));
  await panel.runWith(events);
  await expect(panel.summary).toHaveText(/^1,000 events: 0 matched, 1,000 no match \(/);
  await expect(panel.outcomes).toHaveCount(1000);

  await panel.runWith([...events, events[0] as Record<string, unknown>]);
  await expect(panel.events).toHaveAttribute("aria-invalid", "true");
  await expect(panel.events).toHaveAccessibleDescription(/There are 1,001 events; at most 1,000 can be tested at once\.$/);
  await expect(panel.outcomes).toHaveCount(0);
});
