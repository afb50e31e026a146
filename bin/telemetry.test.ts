// OpenTelemetry export from real `bin/ttp` processes: an OTLP/HTTP receiver (JSON encoding) on a
// free port receives the spans of a state change from the CLI and the evaluation spans of a worker.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { validRuleYaml } from "../lib/store/testing/fixtures";
import { telemetryRequested } from "../lib/telemetry-sdk";
import { killAll, WorkerProc } from "../lib/worker/testing/worker-proc";
import { runCli } from "./testing/run-cli";

interface ReceivedSpan {
  service: string;
  name: string;
  spanId: string;
  parentSpanId: string;
  traceId: string;
  attributes: Record<string, unknown>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpKeyValue {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: { spans?: { name: string; spanId: string; parentSpanId?: string; traceId: string; attributes?: OtlpKeyValue[] }[] }[];
  }[];
}

const value = (v: OtlpValue): unknown => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
const attrs = (kvs: OtlpKeyValue[] = []): Record<string, unknown> => Object.fromEntries(kvs.map((kv) => [kv.key, value(kv.value)]));

let server: Server;
let endpoint: string;
const spans: ReceivedSpan[] = [];
let tmp: string;
let rulesDir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/v1/traces" && String(req.headers["content-type"]).includes("json")) {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpExport;
        for (const rs of body.resourceSpans ?? []) {
          const service = String(attrs(rs.resource?.attributes)["service.name"]);
          for (const ss of rs.scopeSpans ?? []) {
            for (const s of ss.spans ?? []) spans.push({ service, name: s.name, spanId: s.spanId, parentSpanId: s.parentSpanId ?? "", traceId: s.traceId, attributes: attrs(s.attributes) });
          }
        }
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tmp = await mkdtemp(path.join(tmpdir(), "ttp-otel-"));
  rulesDir = path.join(tmp, "rules");
  await import("node:fs/promises").then((fs) => fs.mkdir(rulesDir));
  await writeFile(path.join(rulesDir, "R1.yaml"), validRuleYaml("R1", { pattern: "\\buname\\s+-a\\b", confidence: 0.7 }));
});
afterAll(async () => {
  await killAll();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(tmp, { recursive: true, force: true });
});

const otel = (): Record<string, string> => ({ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "http/json", OTEL_BSP_SCHEDULE_DELAY: "100" });

describe("OpenTelemetry export over OTLP", () => {
  it("is requested by the standard variables only", () => {
    expect(telemetryRequested({})).toBe(false);
    expect(telemetryRequested({ TTP_LOG_LEVEL: "info" })).toBe(false);
    expect(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://collector:4318" })).toBe(true);
    expect(telemetryRequested({ OTEL_SERVICE_NAME: "x" })).toBe(true);
    expect(telemetryRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c/v1/traces", OTEL_SDK_DISABLED: "true" })).toBe(false);
    expect(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c", OTEL_TRACES_EXPORTER: "none" })).toBe(false);
  });

  it("exports a CLI state change as ttp.rule.state.change with its ttp.store.write_state child, flushed before exit", async () => {
    const env = { DATABASE_URL: `file:${path.join(tmp, "cli.db")}` };
    expect((await runCli(["rules", "import", rulesDir, "--by", "seed"], { env })).code).toBe(0);
    const r = await runCli(["state", "set", "R1", "disabled", "--reason", "noisy", "--by", "ana"], { env: { ...env, ...otel() } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const change = spans.find((s) => s.name === "ttp.rule.state.change" && s.service === "ttp-cli");
    expect(change, JSON.stringify(spans)).toBeDefined();
    expect(change?.attributes).toMatchObject({ rule_id: "R1", state: "disabled", set_by: "ana", "ttp.seq": expect.any(Number) });
    const write = spans.find((s) => s.name === "ttp.store.write_state" && s.parentSpanId === change?.spanId);
    expect(write?.traceId).toBe(change?.traceId);
    expect(write?.attributes).toMatchObject({ rule_id: "R1", state: "disabled" });
    // Ids and states only: the reason (free text) is not an attribute.
    expect(JSON.stringify(spans)).not.toContain("noisy");
  }, 60_000);

  it("exports a worker's ttp.eval and ttp.rule.fire spans (threads too) and exits 0 on SIGTERM", async () => {
    const env = { ...process.env, TTP_RULE_STORE: "filesystem", TTP_RULES_DIR: rulesDir, TTP_LOG_LEVEL: "info", OTEL_SERVICE_NAME: "sensor-a", ...otel() };
    for (const threads of ["0", "2"]) {
      const w = new WorkerProc(`otel-${threads}`, ["worker", "--role", "worker", "--id", `otel-${threads}`, "--threads", threads, "--report-interval", "0"], env);
      await w.waitReady(30_000);
      w.send({ source_kind: "command", source_id: `c-${threads}`, payload: { command_text: "uname -a" } });
      const status = await w.stop();
      expect(status, w.describe()).toEqual({ code: 0, signal: null });
    }
    const evals = spans.filter((s) => s.service === "sensor-a" && s.name === "ttp.eval" && s.attributes["ttp.events"] === 1);
    expect(evals.length, JSON.stringify(spans)).toBe(2);
    expect(evals.map((s) => s.attributes["ttp.thread"] === true).sort()).toEqual([false, true]);
    for (const e of evals) {
      const fire = spans.find((s) => s.name === "ttp.rule.fire" && s.parentSpanId === e.spanId);
      expect(fire?.attributes).toMatchObject({ rule_id: "R1", "ttp.fires": 1 });
    }
    expect(JSON.stringify(spans)).not.toContain("uname");
  }, 90_000);
});
