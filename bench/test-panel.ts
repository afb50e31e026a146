import type { Page } from "@playwright/test";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { TestPanel } from "../e2e/pages/test-panel";
import { parseRule } from "../lib/rules/parse-rule";
import { testDraft } from "../lib/engine/test-draft";
import type { RuleState } from "../lib/state/semantics";
import { prng } from "./corpus";

const RUNS = 20;
const CLIP: RuleState = { state: "clipped", confidence_max: 0.3, expires_at: null, reason: "bench", set_by: "bench", set_at: "2026-01-01T00:00:00Z" };

/** `n` JSON Lines events for an http_request rule: its own examples, ordinary URLs, other kinds and a few broken lines. */
export function sampleEvents(yaml: string, n: number, seed = 5): string {
  const rule = parseRule(yaml, { source: "bench", runTests: false }).rule;
  if (!rule) throw new Error("the bench rule does not validate");
  const own = rule.tests.map((t) => t.event.payload);
  const rnd = prng(seed);
  const paths = ["/", "/index.php", "/wp-login.php", "/cgi-bin/luci", "/api/v1/status", "/.env", "/search", "/shell"];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = rnd();
    if (r < 0.4 && own.length > 0) lines.push(JSON.stringify({ source_kind: "http_request", source_id: `req_${i}`, payload: { ...own[i % own.length], user_agent: "Mozilla/5.0 zgrab/0.x" } }));
    else if (r < 0.85) {
      const url = `${paths[Math.floor(rnd() * paths.length)]}?q=${Math.floor(rnd() * 1e6).toString(36)}&page=${i}`;
      lines.push(JSON.stringify({ source_kind: "http_request", source_id: `req_${i}`, payload: { raw_url: url, method: "GET" } }));
    } else if (r < 0.97) lines.push(JSON.stringify({ source_kind: "command", source_id: `cmd_${i}`, payload: { command_text: "uname -a; cat /proc/cpuinfo" } }));
    else lines.push(`{"source_kind": "http_request", "payload": {broken ${i}`);
  }
  return lines.join("\n");
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function timeRuns(draftYaml: string, eventsText: string): Promise<{ core: number[]; withJson: number[]; bytes: number }> {
  const input = { draftYaml, eventsText, getState: () => CLIP };
  await testDraft(input); // warm-up: JIT, RE2 and schema first use
  const core: number[] = [];
  const withJson: number[] = [];
  let bytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const r = await testDraft(input);
    const t1 = performance.now();
    bytes = JSON.stringify(r).length;
    const t2 = performance.now();
    core.push(t1 - t0);
    withJson.push(t2 - t0);
  }
  return { core, withJson, bytes };
}

/**
 * The dashboard's test panel on the server: one rule of the sample pack (R1050, a long
 * http_request pattern) as the draft, clipped, against 100 and 1,000 pasted JSON Lines events.
 */
export async function benchTestPanel(rulesDir: string): Promise<Record<string, unknown>> {
  const yaml = await readFile(path.join(rulesDir, "R1050.yaml"), "utf8");
  const results: Record<string, unknown> = {};
  for (const n of [100, 1000]) {
    const text = sampleEvents(yaml, n);
    const t = await timeRuns(yaml, text);
    const med = median(t.core);
    const medJson = median(t.withJson);
    results[`events_${n}_median_ms`] = Number(med.toFixed(2));
    results[`events_${n}_with_json_median_ms`] = Number(medJson.toFixed(2));
    console.log(
      `test panel: R1050 draft (clipped 0.3), ${n} pasted events (${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB) → median ${med.toFixed(2)} ms of ${RUNS} runs ` +
        `(min ${Math.min(...t.core).toFixed(2)}, max ${Math.max(...t.core).toFixed(2)}); with the result serialised (${(t.bytes / 1024).toFixed(0)} KiB JSON) ${medJson.toFixed(2)} ms`,
    );
  }
  return results;
}

/**
 * In the browser, on /rules/<ruleId> (sample pack rule R1050, its stored text as the draft):
 * click on "Run test" with 100 pasted events → the result summary on screen, `runs` times.
 * Two different batches alternate so each run waits for its own summary.
 */
export async function measureTestPanelInPage(page: Page, rulesDir: string, ruleId = "R1050", runs = 20): Promise<{ ms: number[]; summary: string }> {
  const own = await readFile(path.join(rulesDir, `${ruleId}.yaml`), "utf8");
  // Seeds whose batches match a different number of events, so consecutive summaries differ.
  const batches = [sampleEvents(own, 100, 5), sampleEvents(own, 100, 6)];
  await page.goto(`/rules/${ruleId}`);
  const panel = new TestPanel(page);
  await panel.events.waitFor();
  const ms: number[] = [];
  let summary = "";
  for (let i = 0; i <= runs; i++) {
    const text = batches[i % 2] as string;
    await panel.paste(text);
    // No named functions inside: tsx would wrap them in a __name() helper the page does not have.
    await page.evaluate(() => {
      const w = window as unknown as { __testPanelWait?: Promise<[number, string]> };
      const status = document.querySelector('[role="region"][aria-label="Test results"] [role="status"]');
      const before = status?.textContent ?? "";
      let t0 = 0;
      window.addEventListener("click", () => (t0 = performance.now()), { capture: true, once: true });
      w.__testPanelWait = new Promise((resolve, reject) => {
        setTimeout(() => reject(new Error("no new test result within 10 s")), 10_000);
        const obs = new MutationObserver(() => {
          const now = status?.textContent ?? "";
          if (t0 > 0 && now !== "" && now !== before) {
            obs.disconnect();
            resolve([performance.now() - t0, now]);
          }
        });
        if (status) obs.observe(status, { childList: true, characterData: true, subtree: true });
      });
    });
    await panel.run.click();
    const [t, text2] = await page.evaluate(() => (window as unknown as { __testPanelWait: Promise<[number, string]> }).__testPanelWait);
    if (i > 0) ms.push(t); // the first run warms the server action up
    summary = text2;
  }
  return { ms, summary };
}
