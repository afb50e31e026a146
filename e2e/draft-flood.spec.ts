import { expect, test } from "./fixtures";
import { RulesPage } from "./pages/rules-page";
import { HOSTILE_DRAFTS } from "../lib/rules/testing/hostile-drafts";
import { classifyDraftAnswer } from "./support/draft-answers";

// Read only: no rule is written. The viewer's validations go to the draft pool and its per-user limiter.

/**
 * The costliest hostile drafts (bench hostile) that still fit a server action once JSON-escaped
 * (Next's 1 MB body, React's ~1,000,000-character argument check): 64 levels of nesting up to the
 * value limit, 900 KiB of tests: examples, 256 analyzer patterns, a 4,096-character pattern.
 */
const WORST = ["block-depth-64", "tests-examples-900KiB", "tests-analyzer-256", "pattern-counted-4096"].map((name) => {
  const d = HOSTILE_DRAFTS.find((h) => h.name === name);
  if (!d) throw new Error(`no hostile draft ${name}`);
  return d.yaml();
});

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

test("a viewer flooding validation with worst-case drafts does not stall another user's pages", async ({ page, pageAs }) => {
  test.setTimeout(120_000);
  // Capture the editor's own validation request (it checks the draft once Monaco is ready).
  const viewer = await pageAs("viewer");
  const sent = viewer.waitForRequest((r) => r.method() === "POST" && r.headers()["next-action"] !== undefined && (r.postData() ?? "").includes("rule_id"));
  await viewer.goto("/rules/R1001");
  const request = await sent;
  const all = await request.allHeaders();
  const headers: Record<string, string> = {};
  for (const h of ["next-action", "content-type", "accept", "next-router-state-tree", "origin"]) if (all[h]) headers[h] = all[h];

  // Another user's /rules, idle: until the rule count is on screen.
  const rules = new RulesPage(page);
  const load = async (): Promise<number> => {
    const started = Date.now();
    await rules.goto();
    await expect(rules.count).toBeVisible();
    return Date.now() - started;
  };
  await load();
  const idle = median([await load(), await load(), await load()]);

  // The flood: 8 concurrent senders, each posting worst-case drafts back to back for the whole measurement.
  let flooding = true;
  const answers = { checked: 0, stopped: 0, slowDown: 0, other: [] as string[] };
  const sender = async (n: number): Promise<void> => {
    for (let i = n; flooding; i++) {
      const res = await viewer.request.post(request.url(), { headers, data: JSON.stringify([WORST[i % WORST.length], "R1001"]), timeout: 60_000 });
      const text = await res.text();
      const kind = classifyDraftAnswer(text);
      if (kind === "other") answers.other.push(`${res.status()} ${text.slice(0, 200)}`);
      else answers[kind]++;
    }
  };
  const senders = Array.from({ length: 8 }, (_, n) => sender(n));
  await new Promise((r) => setTimeout(r, 1000));
  const flooded: number[] = [];
  for (let i = 0; i < 3; i++) flooded.push(await load());
  flooding = false;
  await Promise.all(senders);

  const bound = 5 * idle + 1000;
  expect(answers.other, "every flood request got an answer: checked, stopped at the time limit, or rate-limited").toEqual([]);
  expect(answers.checked, "the pool answered part of the flood").toBeGreaterThan(0);
  expect(answers.slowDown, "the per-user limit refused part of the flood").toBeGreaterThan(0);
  for (const ms of flooded) expect(ms, `flooded /rules load (idle median ${idle} ms, bound ${bound} ms; flood answers ${JSON.stringify(answers)})`).toBeLessThan(bound);

});
