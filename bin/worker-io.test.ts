// One `ttp worker` process and its input and output (SPEC §5): SIGTERM drains stdin, a followed
// file across malformed lines, truncation and rotation, the database sink across a crash, and
// usage errors.
import { appendFile, mkdtemp, readFile, rename, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "../lib/engine/engine";
import type { Tag } from "../lib/engine/types";
import { DatabaseRuleStore } from "../lib/store/database-store";
import { validRuleYaml } from "../lib/store/testing/fixtures";
import { killAll, MARKER_RULE_ID, MARKER_TEXT, WorkerProc, waitUntil } from "../lib/worker/testing/worker-proc";
import { WorkerDb } from "../lib/worker/worker-db";
import { runWorker } from "./commands/worker";
import { runCli } from "./testing/run-cli";
import { UsageError } from "./cli-support";

let tmp: string;
let url: string;
let env: NodeJS.ProcessEnv;
let engine: Engine;

const RULES = [
  validRuleYaml("R1", { pattern: "\\buname\\s+-a\\b", confidence: 0.7 }),
  validRuleYaml("R2", { pattern: "\\bwget\\b", confidence: 0.9 }),
  validRuleYaml("R5", { pattern: "\\bwhoami\\b", confidence: 0.2 }),
  validRuleYaml(MARKER_RULE_ID, { pattern: MARKER_TEXT }),
];
const COMMANDS = ["uname -a", "wget http://x/y", "whoami", "ls -la", "uname -a; wget http://z", "cat /etc/passwd"];

const event = (i: number, prefix = "e"): Record<string, unknown> => ({
  source_kind: "command",
  source_id: `${prefix}${i}`,
  attacker_uuid: `att-${i % 7}`,
  payload: { command_text: COMMANDS[i % COMMANDS.length], user: "root" },
});

/** What the engine says, with the sinks' default floor. */
function expected(events: Record<string, unknown>[]): Tag[] {
  return events.flatMap((e) => engine.evaluate(e as never)).filter((t) => t.confidence >= 0.3);
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "ttp-worker-io-"));
  url = `file:${path.join(tmp, "io.db")}`;
  const store = new DatabaseRuleStore({ url, expiry: false });
  for (const y of RULES) await store.upsertRule(y, { actor: "seed" });
  engine = new Engine();
  engine.replaceAll((await store.loadCompiled()).rules);
  await store.close();
  env = { ...process.env, TTP_RULE_STORE: "database", DATABASE_URL: url, TTP_LOG_LEVEL: "info" };
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
afterEach(async () => {
  await killAll();
});

describe("ttp worker input and output", () => {
  it("drains what stdin already holds on SIGTERM, flushes every tag and exits 0", async () => {
    const w = new WorkerProc("drain", ["worker", "--role", "worker", "--id", "drain-1", "--report-interval", "0"], env);
    await w.waitReady(30_000);
    const events = Array.from({ length: 3000 }, (_, i) => event(i));
    w.send(...events);
    const status = await w.stop();
    expect(status, w.describe()).toEqual({ code: 0, signal: null });
    expect(w.tags).toEqual(expected(events));
    expect(w.log("input finished")).toMatchObject({ events: 3000, malformed: 0, match_cache: { lookups: 3000, hits: 3000 - COMMANDS.length, bypassed: 0 } });
  }, 60_000);

  it("follows a file across malformed lines, truncation and rotation; reports bad lines with their number", async () => {
    const file = path.join(tmp, "follow.jsonl");
    const out = path.join(tmp, "follow-tags.jsonl");
    const lines = (evs: Record<string, unknown>[]): string => evs.map((e) => JSON.stringify(e)).join("\n") + "\n";
    const first = [event(0, "a"), event(1, "a")];
    await writeFile(file, lines(first) + "not json at all\n" + "\n" + JSON.stringify({ source_kind: "command" }) + "\n");
    const w = new WorkerProc("follow", ["worker", "--role", "worker", "--id", "follow-1", "--events", file, "--follow", "--out", out, "--threads", "2", "--match-cache", "0", "--report-interval", "0"], env);
    await w.waitReady(30_000);
    const tagsOut = async (): Promise<Tag[]> =>
      (await readFile(out, "utf8").catch(() => ""))
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => JSON.parse(l) as Tag);
    const seen = async (sourceId: string): Promise<boolean> => (await tagsOut()).some((t) => t.source_id === sourceId);
    const marker = (id: string): Record<string, unknown> => ({ source_kind: "command", source_id: id, payload: { command_text: MARKER_TEXT } });

    const growth = [event(2, "a"), event(4, "a"), marker("m1")];
    await appendFile(file, lines(growth));
    await waitUntil(() => seen("m1"), "tags of appended lines");
    const malformed = w.logs.filter((l) => l.message === "malformed event line skipped");
    expect(malformed.map((l) => [l.input, l.line])).toEqual([
      [file, 3],
      [file, 5],
    ]);
    expect(String(malformed[0]?.error)).not.toContain("not json at all");

    // copytruncate: the file shrinks and is written again from the start.
    await truncate(file, 0);
    const afterTruncate = [event(0, "b"), marker("m2")];
    await writeFile(file, lines(afterTruncate));
    await waitUntil(() => seen("m2"), "tags after truncation");

    // Rotation by rename: the old file is finished, the new one read from its start.
    await appendFile(file, lines([event(1, "c")]));
    await rename(file, `${file}.1`);
    const afterRotation = [event(4, "d"), marker("m3")];
    await writeFile(file, lines(afterRotation) + "{broken\n");
    await waitUntil(() => seen("m3"), "tags after rotation");
    await waitUntil(() => w.logs.filter((l) => l.message === "malformed event line skipped").length === 3, "the bad line of the new file");
    expect(w.logs.filter((l) => l.message === "malformed event line skipped").at(-1)).toMatchObject({ input: file, line: 3 });

    expect(await w.stop()).toEqual({ code: 0, signal: null });
    expect(await tagsOut()).toEqual(expected([...first, ...growth, ...afterTruncate, event(1, "c"), ...afterRotation]));
    // --match-cache 0 reached the evaluation threads' engines: nothing was looked up.
    expect(w.log("input finished")).toMatchObject({ match_cache: { lookups: 0, hits: 0, bypassed: 0 } });
  }, 60_000);

  it("writes tags to ttp_tag once: a worker killed mid-way and run again over the same input adds no duplicates", async () => {
    const file = path.join(tmp, "db-sink.jsonl");
    const events = Array.from({ length: 20_000 }, (_, i) => event(i, "s"));
    await writeFile(file, events.map((e) => JSON.stringify(e)).join("\n") + "\n");
    const want = expected(events);
    const db = new WorkerDb(url);
    try {
      const crashing = new WorkerProc("sink1", ["worker", "--role", "worker", "--id", "sink-1", "--events", file, "--follow", "--sink", "db", "--report-interval", "0"], env);
      await waitUntil(async () => (await db.countTags()) > 0, "first tags in ttp_tag", 30_000);
      crashing.kill("SIGKILL");
      await crashing.exited;
      const again = new WorkerProc("sink2", ["worker", "--role", "worker", "--id", "sink-2", "--events", file, "--sink", "db,jsonl", "--report-interval", "0"], env);
      expect(await again.exited, again.describe()).toEqual({ code: 0, signal: null });
      expect(again.tags).toEqual(want);
      expect(await db.countTags()).toBe(new Set(want.map((t) => t.uuid)).size);
    } finally {
      await db.close();
    }
  }, 60_000);

  it("refuses bad options with exit code 1 and a message naming the option", async () => {
    const r = await runCli(["worker", "--role", "worker", "--min-confidence", "1.5"], { env: env as Record<string, string> });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 1, stderr: 'ttp: --min-confidence must be a number between 0 and 1 (got "1.5")\n' });
    const cases: [string[], RegExp][] = [
      [[], /--role master\|worker/],
      [["--role", "boss"], /--role master\|worker \(got "boss"\)/],
      [["--role", "master", "--events", "x.jsonl"], /--events only applies to --role worker/],
      [["--role", "worker", "--follow"], /--follow needs --events <file>/],
      [["--role", "worker", "--events", path.join(tmp, "missing.jsonl")], /no such file/],
      [["--role", "worker", "--sink", "kafka"], /--sink must be jsonl, db, nats or a comma-separated combination/],
      [["--role", "worker", "--sink", "nats"], /--sink nats .* needs --nats <url>/],
      [["--role", "worker", "--durable", "g"], /--durable .* needs --nats <url>/],
      [["--role", "worker", "--nats", "nats://127.0.0.1:1", "--durable", "g", "--events", "x.jsonl"], /--events and --durable are two inputs/],
      [["--role", "worker", "--max-deliver", "3"], /--max-deliver only applies to NATS input/],
      [["--role", "worker", "--nats", "nats://127.0.0.1:1", "--subject-prefix", "bad prefix"], /--subject-prefix must be/],
      [["--role", "master", "--durable", "g"], /--durable only applies to --role worker/],
      [["--role", "worker", "--sink", "db", "--out", "x.jsonl"], /add jsonl to --sink/],
      [["--role", "worker", "--port", "70000"], /--port must be/],
      [["--role", "worker", "--threads", "1.5"], /--threads must be a whole number/],
      [["--role", "worker", "--match-cache=-1"], /--match-cache must be/],
      [["--role", "worker", "--match-cache", "10.5"], /--match-cache must be a whole number/],
      [["--role", "master", "--match-cache", "0"], /--match-cache only applies to --role worker/],
      [["--role", "worker", "--id", "has space"], /--id must be/],
      [["--role", "worker", "--report-interval", "soon"], /--report-interval must be a duration/],
      [["--role", "worker", "--from-end"], /--from-end only applies with --follow/],
      [["--role", "worker", "--checkpoint", "x.cp"], /--checkpoint only applies with --events <file> --follow/],
    ];
    for (const [args, message] of cases) {
      await expect(runWorker(args), args.join(" ")).rejects.toThrow(UsageError);
      await expect(runWorker(args), args.join(" ")).rejects.toThrow(message);
    }
  }, 30_000);

  it("--follow --checkpoint: a restarted worker resumes after the last durably written block instead of re-reading", async () => {
    const file = path.join(tmp, "checkpointed.jsonl");
    const cp = path.join(tmp, "checkpointed.cp");
    const first = Array.from({ length: 30 }, (_, i) => event(i, "cp-a"));
    await writeFile(file, first.map((e) => JSON.stringify(e)).join("\n") + "\n");
    const args = ["worker", "--role", "worker", "--id", "cp-1", "--events", file, "--follow", "--checkpoint", cp, "--report-interval", "0"];
    const one = new WorkerProc("cp1", args, env);
    await one.waitFor(() => one.tags.length >= expected(first).length, "the first tags");
    expect(await one.stop()).toEqual({ code: 0, signal: null });
    const saved = JSON.parse(await readFile(cp, "utf8")) as { pos: number };
    expect(saved.pos).toBe((await readFile(file)).length);
    const second = Array.from({ length: 12 }, (_, i) => event(i, "cp-b"));
    await appendFile(file, second.map((e) => JSON.stringify(e)).join("\n") + "\n");
    const two = new WorkerProc("cp2", args, env);
    await two.waitFor(() => two.tags.length >= expected(second).length, "the new tags");
    await new Promise((r) => setTimeout(r, 300));
    expect(await two.stop()).toEqual({ code: 0, signal: null });
    expect(two.tags.map((t) => t.source_id).every((id) => id.startsWith("cp-b"))).toBe(true);
    expect(two.tags).toEqual(expected(second));
  }, 60_000);
});
