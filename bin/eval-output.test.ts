import { spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ruleYaml } from "../lib/rules/testing/fixtures";
import { TTP_BIN } from "../testing/child-process";
import { runCli } from "./testing/run-cli";

const dir = mkdtempSync(path.join(tmpdir(), "ttp-eval-out-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `ttp eval` with stdout appended to `file` (a regular file, as `>>` does), not a pipe. */
function evalToFile(args: string[], file: string): Promise<{ code: number | null; stderr: string }> {
  const fd = openSync(file, "a");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TTP_BIN, ...args], { stdio: ["ignore", fd, "pipe"], env: { ...process.env, TTP_LOG_LEVEL: "warn" } });
    closeSync(fd);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

describe("ttp eval output and input in blocks", () => {
  const rules = path.join(dir, "rules");
  const events = path.join(dir, "events.jsonl");
  // Several read blocks (128 KiB), lines that straddle them, non-ASCII text, a malformed line in the middle.
  const lines: string[] = [];
  for (let i = 0; i < 6000; i++) {
    const text = i % 3 === 0 ? `uname -a # ${"é".repeat(i % 40)} ${i}` : `ls ${"x".repeat(i % 90)}`;
    lines.push(i === 3500 ? "{broken" : JSON.stringify({ source_kind: "command", source_id: `cmd_${i}`, payload: { command_text: text } }));
  }

  it("writes the same tags to a regular file (appended after what it held) as to a pipe, with and without threads", async () => {
    rmSync(rules, { recursive: true, force: true });
    mkdirSync(rules);
    writeFileSync(path.join(rules, "R1.yaml"), ruleYaml("R1", { confidence: 0.6 }));
    writeFileSync(events, lines.join("\n"));
    const piped = await runCli(["eval", "--rules", rules, "--events", events]);
    expect(piped.code).toBe(0);
    expect(piped.stdout.split("\n").length - 1).toBe(2000);
    expect(piped.stderr).toMatch(/events\.jsonl:3501: skipped: not valid JSON/);
    for (const threads of ["0", "2"]) {
      const out = path.join(dir, `tags-${threads}.jsonl`);
      writeFileSync(out, "held\n");
      const r = await evalToFile(["eval", "--rules", rules, "--events", events, "--threads", threads], out);
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(piped.stderr);
      expect(readFileSync(out, "utf8")).toBe(`held\n${piped.stdout}`);
    }
  });
});
