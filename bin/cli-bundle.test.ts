// bin/ttp as shipped: the esbuild bundle in dist/cli/, rebuilt when a source is newer, usable from
// any working directory, with the OpenTelemetry SDK absent unless asked for, and `eval --threads`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { validRuleYaml } from "../lib/store/testing/fixtures";
import { runCli } from "./testing/run-cli";

const ROOT = path.resolve(__dirname, "..");
const MANIFEST = path.join(ROOT, "dist/cli/manifest.json");

describe("bin/ttp", () => {
  it("rebuilds its bundle when a source is newer than the bundle, then runs", async () => {
    expect((await runCli(["--help"])).code).toBe(0);
    // The bundle dated before every source = a source saved after the build.
    const old = new Date("2001-01-01T00:00:00Z");
    utimesSync(MANIFEST, old, old);
    const r = await runCli(["--help"], { timeoutMs: 120_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ttp eval --rules <dir>");
    expect(statSync(MANIFEST).mtimeMs).toBeGreaterThan(old.getTime() + 1000);
    for (const f of ["ttp.js", "eval-thread.js"]) expect(existsSync(path.join(ROOT, "dist/cli", f))).toBe(true);
  }, 180_000);

  it("works from any working directory: relative paths keep meaning that directory", async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "ttp-cwd-"));
    writeFileSync(path.join(cwd, "R1.yaml"), validRuleYaml("R1"));
    const env = { DATABASE_URL: "file:./data/here.db" };
    expect((await runCli(["db", "migrate"], { cwd, env })).code).toBe(0);
    expect(existsSync(path.join(cwd, "data/here.db"))).toBe(true);
    const imp = await runCli(["rules", "import", ".", "--by", "t"], { cwd, env });
    expect(imp.stderr).toBe("imported 1 rule(s): 1 written, 0 unchanged\n");
    const got = await runCli(["state", "get", "R1"], { cwd, env });
    expect(JSON.parse(got.stdout)).toMatchObject({ rule_id: "R1", state: "enabled" });
  }, 60_000);

  it("loads no OpenTelemetry SDK module unless an OTEL_* variable asks for export", () => {
    const cwd = mkdtempSync(path.join(tmpdir(), "ttp-otel-off-"));
    const probe = path.join(cwd, "probe.cjs");
    writeFileSync(probe, 'process.on("exit", () => process.stderr.write("sdk modules: " + Object.keys(require.cache).filter((k) => k.includes("@opentelemetry/sdk")).length + "\\n"));\n');
    const run = (extra: Record<string, string>): string => {
      const r = spawnSync(process.execPath, ["--require", probe, path.join(ROOT, "bin/ttp"), "rules", "list"], {
        cwd,
        env: { ...process.env, DATABASE_URL: "file:./t.db", ...extra },
        encoding: "utf8",
      });
      return r.stderr;
    };
    const clean = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith("OTEL_")).map((k) => [k, ""]));
    expect(run(clean)).toContain("sdk modules: 0\n");
    expect(run({ ...clean, OTEL_EXPORTER_OTLP_ENDPOINT: "http://127.0.0.1:9", OTEL_BSP_EXPORT_TIMEOUT: "200" })).not.toContain("sdk modules: 0\n");
  }, 60_000);

  it("eval --threads 2 writes the same tags and the same skipped lines as --threads 0", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "ttp-eval-threads-"));
    writeFileSync(path.join(dir, "R1.yaml"), validRuleYaml("R1"));
    writeFileSync(path.join(dir, "R2.yaml"), validRuleYaml("R2", { pattern: "\\bwget\\b", confidence: 0.2 }));
    const lines: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      if (i % 997 === 5) lines.push(i % 2 ? "not json" : '{"source_kind":"command"}');
      else if (i % 1000 === 7) lines.push("");
      else lines.push(JSON.stringify({ source_kind: "command", source_id: `c${i}`, payload: { command_text: i % 3 ? `uname -a #${i % 50}` : `wget http://x/${i % 7}` } }));
    }
    const events = path.join(dir, "events.jsonl");
    writeFileSync(events, lines.join("\n"));
    const zero = await runCli(["eval", "--rules", dir, "--events", events, "--threads", "0"]);
    const two = await runCli(["eval", "--rules", dir, "--events", events, "--threads", "2"]);
    expect(zero.code).toBe(0);
    expect(two.code).toBe(0);
    expect(two.stdout).toBe(zero.stdout);
    expect(two.stderr).toBe(zero.stderr);
    expect(zero.stderr).toContain(`${events}:6: skipped: `);
    expect(zero.stderr.trim().split("\n").at(-1)).toBe("ttp eval: 31 malformed event line(s) skipped");
    // No default floor: the 0.2 rule's tags are there.
    expect(zero.stdout).toContain('"rule_id":"R2"');
  }, 60_000);
});
