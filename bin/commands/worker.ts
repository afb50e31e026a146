import { closeSync, createReadStream, createWriteStream, openSync, statSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_MIN_CONFIDENCE } from "../../lib/engine/types";
import { MasterRuntime } from "../../lib/worker/master";
import { DEFAULT_STREAM, validPrefix } from "../../lib/worker/nats";
import { WorkerRuntime, type WorkerConfig, type WorkerInput } from "../../lib/worker/worker";
import { EXIT, parseNumberOption, UsageError } from "../cli-support";
import { parseEnv } from "../config";
import { loggerFor } from "../open-store";
import { WORKER_USAGE } from "./usage";


const WORKER_ONLY = ["events", "follow", "from-end", "checkpoint", "sink", "out", "min-confidence", "threads", "match-cache", "trace-applied", "drain-timeout", "durable", "max-deliver", "ack-wait", "batch"] as const;
const SINKS = ["jsonl", "db", "nats"] as const;

/** `5s`, `500ms`, `2m`, `1h` or a plain number of seconds → milliseconds. */
export function parseDuration(name: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new UsageError(`--${name} must be a duration like 500ms, 5s, 2m or a number of seconds (got "${value}")`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Math.round(Number(m[1]) * unit);
}

function parseInteger(name: string, value: string | undefined, min: number, max: number): number | undefined {
  const n = parseNumberOption(name, value, min, max);
  if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number between ${min} and ${max} (got "${value}")`);
  return n;
}

/** `ttp worker`: the long-running tagging worker or the master (SPEC §5). */
export async function runWorker(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: "string" },
      id: { type: "string" },
      events: { type: "string" },
      follow: { type: "boolean" },
      "from-end": { type: "boolean" },
      checkpoint: { type: "string" },
      sink: { type: "string" },
      out: { type: "string" },
      "min-confidence": { type: "string" },
      threads: { type: "string" },
      "match-cache": { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      "report-interval": { type: "string" },
      "trace-applied": { type: "string" },
      "drain-timeout": { type: "string" },
      nats: { type: "string" },
      stream: { type: "string" },
      durable: { type: "string" },
      "subject-prefix": { type: "string" },
      "max-deliver": { type: "string" },
      "ack-wait": { type: "string" },
      batch: { type: "string" },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}": ${WORKER_USAGE[0]} | ${WORKER_USAGE[1]}`);
  const role = values.role;
  if (role !== "master" && role !== "worker") {
    throw new UsageError(`worker needs --role master|worker (got ${role === undefined ? "nothing" : `"${role}"`})`);
  }
  const id = values.id ?? `${os.hostname()}-${process.pid}`;
  if (!/^[A-Za-z0-9._:@-]{1,128}$/.test(id)) {
    throw new UsageError(`--id must be 1-128 characters of letters, digits and . _ : @ - (got "${id}")`);
  }
  const port = parseInteger("port", values.port, 0, 65535) ?? 0;
  const host = values.host ?? "127.0.0.1";
  if (host.trim() === "") throw new UsageError("--host must not be empty");
  const reportIntervalMs = parseDuration("report-interval", values["report-interval"], 5000);
  if (reportIntervalMs !== 0 && reportIntervalMs < 100) throw new UsageError("--report-interval must be 0 (off) or at least 100ms");
  const env = parseEnv();
  const logger = loggerFor(env);
  const http = port > 0 ? { port, host } : null;
  const common = { workerId: id, hostname: os.hostname(), pid: process.pid, http, logger };
  const natsUrl = values.nats;
  const stream = values.stream ?? DEFAULT_STREAM;
  const prefix = values["subject-prefix"] ?? "";
  if (!validPrefix(prefix)) throw new UsageError(`--subject-prefix must be empty or NATS tokens ending with a dot, e.g. "site-a." (got "${prefix}")`);
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(stream)) throw new UsageError(`--stream must be letters, digits, _ and - (got "${stream}")`);
  if (natsUrl === undefined) {
    for (const k of ["stream", "subject-prefix"] as const) if (values[k] !== undefined) throw new UsageError(`--${k} only applies with --nats <url>`);
  }

  if (role === "master") {
    const misplaced = WORKER_ONLY.filter((k) => values[k] !== undefined);
    if (misplaced.length > 0) throw new UsageError(`--${misplaced[0]} only applies to --role worker (the master syncs rules; it reads no events)`);
    if (env.TTP_RULE_STORE !== "database") {
      throw new UsageError("--role master syncs the rules directory into the database: it needs TTP_RULE_STORE=database");
    }
    const master = new MasterRuntime({
      ...common,
      rulesDir: env.TTP_RULES_DIR,
      databaseUrl: env.DATABASE_URL,
      reportIntervalMs,
      nats: natsUrl === undefined ? null : { url: natsUrl, stream, prefix },
    });
    onSignals([() => master.stop(), () => process.exit(EXIT.runtime)]);
    const code = await master.run();
    return exitSoon(code);
  }

  const sinks = (values.sink ?? "jsonl").split(",").map((s) => s.trim());
  for (const s of sinks) if (!(SINKS as readonly string[]).includes(s)) throw new UsageError(`--sink must be jsonl, db, nats or a comma-separated combination (got "${values.sink}")`);
  const wantJsonl = sinks.includes("jsonl");
  const wantDb = sinks.includes("db");
  const wantNats = sinks.includes("nats");
  if (wantNats && natsUrl === undefined) throw new UsageError("--sink nats publishes ttp.tagged and ttp.rule.fired.*: it needs --nats <url>");
  const natsInput = values.durable !== undefined;
  if (natsInput && natsUrl === undefined) throw new UsageError("--durable names the consumer group of NATS input: it needs --nats <url>");
  if (natsInput && (values.events !== undefined || values.follow)) throw new UsageError("--events and --durable are two inputs: pick one");
  for (const k of ["max-deliver", "ack-wait", "batch"] as const) {
    if (values[k] !== undefined && !natsInput) throw new UsageError(`--${k} only applies to NATS input (--nats <url> --durable <name>)`);
  }
  if (values.out !== undefined && !wantJsonl) throw new UsageError("--out names the JSON Lines output: add jsonl to --sink (e.g. --sink jsonl,db)");
  if (wantDb && env.TTP_RULE_STORE !== "database") throw new UsageError("--sink db writes ttp_tag in the database: it needs TTP_RULE_STORE=database");
  const minConfidence = parseNumberOption("min-confidence", values["min-confidence"], 0, 1) ?? DEFAULT_MIN_CONFIDENCE;
  const threads = parseInteger("threads", values.threads, 0, 64) ?? 0;
  const matchCacheEntries = parseInteger("match-cache", values["match-cache"], 0, 1_000_000);
  const drainTimeoutMs = parseDuration("drain-timeout", values["drain-timeout"], 10_000);
  const artifactsDir = env.TTP_ARTIFACTS_DIR === undefined ? undefined : path.resolve(env.TTP_ARTIFACTS_DIR);
  if (artifactsDir !== undefined) {
    let isDir = false;
    try {
      isDir = statSync(artifactsDir).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) throw new UsageError(`TTP_ARTIFACTS_DIR ${artifactsDir}: not a directory (set it to DECNET's artifacts root, or unset it)`);
  }

  const eventsPath = values.events ?? "-";
  if (values.follow && eventsPath === "-") throw new UsageError("--follow needs --events <file> (stdin is read until it ends anyway)");
  if (values["from-end"] && !values.follow) throw new UsageError("--from-end only applies with --follow");
  if (values.checkpoint !== undefined && !values.follow) throw new UsageError("--checkpoint only applies with --events <file> --follow");
  let input: WorkerInput;
  if (natsInput) {
    const durable = values.durable as string;
    if (!/^[A-Za-z0-9_-]{1,200}$/.test(durable)) throw new UsageError(`--durable must be letters, digits, _ and - (got "${durable}")`);
    const batch = parseInteger("batch", values.batch, 1, 10_000) ?? 500;
    input = {
      kind: "nats",
      stream,
      durable,
      prefix,
      maxDeliver: parseInteger("max-deliver", values["max-deliver"], 1, 1000) ?? 5,
      ackWaitMs: parseDuration("ack-wait", values["ack-wait"], 30_000),
      batch,
      maxAckPending: Math.max(1000, batch * 32),
    };
    if (input.ackWaitMs < 1000) throw new UsageError("--ack-wait must be at least 1s");
  } else if (eventsPath === "-") {
    input = { kind: "stream", stream: process.stdin, name: "<stdin>" };
  } else {
    let st;
    try {
      st = statSync(eventsPath);
    } catch {
      throw new UsageError(`--events ${eventsPath}: no such file`);
    }
    if (st.isFIFO()) {
      // A named pipe is a stream: read until its writers close it (nothing to follow or seek).
      if (values.follow) throw new UsageError(`--follow applies to regular files; ${eventsPath} is a named pipe, read until its writers close it`);
      input = { kind: "stream", stream: createReadStream(eventsPath, { highWaterMark: 128 * 1024 }), name: eventsPath };
    } else if (st.isFile()) {
      input = {
        kind: "file",
        path: eventsPath,
        follow: values.follow === true,
        fromEnd: values["from-end"] === true,
        checkpoint: values.checkpoint === undefined ? null : path.resolve(values.checkpoint),
      };
    } else {
      throw new UsageError(`--events ${eventsPath} is not a regular file or a named pipe`);
    }
  }

  let jsonl: WorkerConfig["jsonl"] = null;
  if (wantJsonl) {
    const out = values.out ?? "-";
    if (out === "-") {
      jsonl = { stream: process.stdout, end: false };
    } else {
      let fd: number;
      try {
        fd = openSync(out, "a");
      } catch (err) {
        throw new UsageError(`--out ${out}: cannot open for appending (${err instanceof Error ? err.message : String(err)})`);
      }
      jsonl = { stream: createWriteStream(out, { fd, highWaterMark: 1024 * 1024 }), end: true };
    }
  }

  let traceApplied: WorkerConfig["traceApplied"] = null;
  let traceFd: number | null = null;
  const trace = values["trace-applied"];
  if (trace === "-") {
    traceApplied = (line) => process.stderr.write(`${line}\n`);
  } else if (trace !== undefined) {
    try {
      traceFd = openSync(path.resolve(trace), "a");
    } catch (err) {
      throw new UsageError(`--trace-applied ${trace}: cannot open for appending (${err instanceof Error ? err.message : String(err)})`);
    }
    const fd = traceFd;
    traceApplied = (line) => writeSync(fd, `${line}\n`);
  }

  const worker = new WorkerRuntime({
    ...common,
    rules: env.TTP_RULE_STORE === "database" ? { kind: "database", url: env.DATABASE_URL } : { kind: "filesystem", dir: env.TTP_RULES_DIR },
    input,
    jsonl,
    dbSink: wantDb,
    nats: natsUrl === undefined ? null : { url: natsUrl, prefix },
    natsSink: wantNats,
    minConfidence,
    threads,
    ...(matchCacheEntries === undefined ? {} : { matchCacheEntries }),
    ...(artifactsDir === undefined ? {} : { artifactsDir }),
    reportIntervalMs: env.TTP_RULE_STORE === "database" ? reportIntervalMs : 0,
    traceApplied,
    drainTimeoutMs,
  });
  onSignals([() => worker.drain(), () => worker.stop(), () => process.exit(EXIT.runtime)]);
  const code = await worker.run();
  if (traceFd !== null) closeSync(traceFd);
  if (input.kind === "stream") input.stream.destroy();
  return exitSoon(code);
}

/** SIGTERM/SIGINT: the n-th signal runs the n-th handler (drain, then stop, then exit). */
function onSignals(handlers: (() => void)[]): void {
  let n = 0;
  const on = (): void => {
    const h = handlers[Math.min(n, handlers.length - 1)];
    n++;
    h?.();
  };
  process.on("SIGTERM", on);
  process.on("SIGINT", on);
}

/** Everything is closed by now; a handle some library left open must not keep the process alive. */
function exitSoon(code: number): number {
  setTimeout(() => process.exit(code), 2000).unref();
  return code;
}
