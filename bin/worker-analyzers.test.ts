// A real `ttp worker` process evaluating analyzer rules (DECNET's lifter kinds): e-mail bodies read
// from TTP_ARTIFACTS_DIR in the evaluation threads, per-kind skipped counts in /metrics, the same
// tags as the in-process engine.
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../lib/engine/engine";
import { parseRule } from "../lib/rules/parse-rule";
import { freePort, killAll, WorkerProc } from "../lib/worker/testing/worker-proc";
import { createEmailBodyReader } from "../lib/worker/email-artifacts";

let tmp: string;
let rulesDir: string;
let artifacts: string;

const RULES: Record<string, string> = {
  R7001: `rule_id: R7001
rule_version: 1
name: beacon
applies_to: [session]
match: {kind: "lifter:behavioral_beaconing", min_interval_s: 10, max_jitter_pct: 0.15}
emits:
  - {technique_id: T1071, tactic: TA0011, confidence: 0.8}
evidence_fields: [beacon_interval_s]
`,
  R7002: `rule_id: R7002
rule_version: 1
name: bec
applies_to: [email]
match:
  kind: "lifter:email_bec"
  subject_keywords: [urgent, invoice]
  body_action_keywords: [wire transfer, gift card]
emits:
  - {technique_id: T1566, sub_technique_id: T1566.003, tactic: TA0001, confidence: 0.85}
`,
};

const STORED = "2026-12-01T10:00:00Z_0123456789ab_msg.eml";
const EML = [
  "From: ceo@victim.example",
  "Subject: Urgent",
  "MIME-Version: 1.0",
  'Content-Type: multipart/alternative; boundary="b1"',
  "",
  "--b1",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Transfer-Encoding: base64",
  "",
  Buffer.from("Please arrange a wire transfer today.").toString("base64"),
  "--b1--",
  "",
].join("\r\n");

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "ttp-worker-analyzers-"));
  rulesDir = path.join(tmp, "rules");
  artifacts = path.join(tmp, "artifacts");
  await mkdir(rulesDir);
  await mkdir(path.join(artifacts, "decky-1", "smtp"), { recursive: true });
  for (const [id, y] of Object.entries(RULES)) await writeFile(path.join(rulesDir, `${id}.yaml`), y);
  await writeFile(path.join(artifacts, "decky-1", "smtp", STORED), EML);
  // A link out of the root must never be followed.
  await writeFile(path.join(tmp, "outside.eml"), EML);
  await symlink(path.join(tmp, "outside.eml"), path.join(artifacts, "decky-1", "smtp", STORED.replace("msg", "evil")));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  await killAll();
});

describe("ttp worker with analyzer rules", () => {
  it("tags like the engine, reads e-mail bodies only inside TTP_ARTIFACTS_DIR (threads too) and counts ill-typed fields per kind", async () => {
    const events = [
      { source_kind: "session", source_id: "s1", attacker_uuid: "a1", payload: { beacon_interval_s: 60, beacon_jitter_pct: 0.05 } },
      { source_kind: "session", source_id: "s2", attacker_uuid: "a1", payload: { beacon_interval_s: "60", beacon_jitter_pct: 0.05 } },
      { source_kind: "email", source_id: "m1", attacker_uuid: "a2", payload: { subject: "URGENT", decky_id: "decky-1", stored_as: STORED } },
      { source_kind: "email", source_id: "m2", attacker_uuid: "a2", payload: { subject: "URGENT", decky_id: "decky-1", stored_as: STORED.replace("msg", "evil") } },
      { source_kind: "email", source_id: "m3", attacker_uuid: "a2", payload: { subject: "URGENT", decky_id: "../decky-1", stored_as: STORED } },
    ];
    const engine = new Engine({ emailBodyReader: createEmailBodyReader({ root: artifacts }) });
    engine.replaceAll(Object.entries(RULES).map(([id, y]) => parseRule(y, { source: id, runTests: false }).rule!));
    const expected = events.flatMap((e) => engine.evaluate(e));
    expect(expected.map((t) => t.source_id)).toEqual(["s1", "m1"]);

    const port = await freePort();
    const env = { ...process.env, TTP_RULE_STORE: "filesystem", TTP_RULES_DIR: rulesDir, TTP_ARTIFACTS_DIR: artifacts, TTP_LOG_LEVEL: "info" };
    const w = new WorkerProc("analyzers", ["worker", "--role", "worker", "--id", "an-1", "--threads", "2", "--port", String(port), "--report-interval", "0"], env);
    await w.waitReady(30_000);
    w.send(...events);
    await w.waitFor(() => w.tags.length >= 2 || null, "two tags");
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^ttp_worker_analyzer_skipped_total\{[^}]*kind="lifter:behavioral_beaconing"[^}]*\} 1$/m);
    const status = await w.stop();
    expect(status, w.describe()).toEqual({ code: 0, signal: null });
    expect(w.tags).toEqual(expected);

    // A root that is not a directory stops the worker at start with a message naming the variable.
    const bad = new WorkerProc("bad-artifacts", ["worker", "--role", "worker", "--id", "an-2", "--report-interval", "0"], { ...env, TTP_ARTIFACTS_DIR: path.join(tmp, "outside.eml") });
    bad.endInput();
    expect((await bad.exited).code, bad.describe()).toBe(1);
    expect(bad.stderrLines.join("\n")).toMatch(/TTP_ARTIFACTS_DIR .*not a directory/);

    // Unset (or empty): no file is ever read, so the stored message is no body.
    const plain = new WorkerProc("no-artifacts", ["worker", "--role", "worker", "--id", "an-3", "--report-interval", "0"], { ...env, TTP_ARTIFACTS_DIR: "" });
    await plain.waitReady(30_000);
    plain.send(events[0], events[2]);
    expect((await plain.stop()).code).toBe(0);
    expect(plain.tags.map((t) => t.source_id)).toEqual(["s1"]);
  }, 90_000);
});
