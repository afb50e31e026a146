import { EXIT, reportError, UsageError } from "./cli-support";
import { EVAL_USAGE, NATS_USAGE, STORE_USAGE, USER_USAGE, VALIDATE_USAGE, WORKER_USAGE, WORKERS_USAGE } from "./commands/usage";
import { ConfigError } from "./config";
import { startTelemetry } from "../lib/telemetry-sdk";

const USAGE = `usage: bin/ttp <command>   (or npm run -s ttp -- <command>)

  ${VALIDATE_USAGE}
  ${EVAL_USAGE}
${STORE_USAGE.map((u) => `  ${u}`).join("\n")}
${WORKER_USAGE.map((u) => `  ${u}`).join("\n")}
  ${WORKERS_USAGE}
${NATS_USAGE.map((u) => `  ${u}`).join("\n")}
${USER_USAGE.map((u) => `  ${u}`).join("\n")}

Environment: TTP_RULE_STORE=filesystem|database (default database), TTP_RULES_DIR (default ./rules/ttp),
DATABASE_URL (default file:./data/ttp.db; postgres://… for the swarm; dashboard users always live here), TTP_LOG_LEVEL;
OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME, OTEL_TRACES_SAMPLER… export traces over OTLP (off when none is set).
Exit codes: 0 ok, 1 validation or usage error (including an unknown rule), 2 runtime failure.
`;

type Command = (argv: string[]) => Promise<number>;

/**
 * Each command's module is loaded when the command runs (esbuild turns these imports into lazily
 * initialised parts of the one bundle): `ttp eval` does not initialise the database drivers, NATS
 * or the metrics registry, and `--help` initialises nothing but the usage lines.
 */
const storeCommand = (name: string) => async (): Promise<Command> => (await import("./commands/store-commands")).STORE_COMMANDS[name] as Command;
const userCommand = (name: string) => async (): Promise<Command> => (await import("./commands/user")).USER_COMMANDS[name] as Command;
const COMMANDS: Record<string, () => Promise<Command>> = {
  validate: async () => (await import("./commands/validate")).runValidate,
  eval: async () => (await import("./commands/eval")).runEval,
  rules: storeCommand("rules"),
  state: storeCommand("state"),
  tail: storeCommand("tail"),
  db: storeCommand("db"),
  worker: async () => (await import("./commands/worker")).runWorker,
  workers: async () => (await import("./commands/workers")).runWorkers,
  nats: async () => (await import("./commands/nats")).runNats,
  user: userCommand("user"),
  token: userCommand("token"),
};

// `ttp tail | head` and friends: a closed pipe ends the command quietly.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  // The worker handles its own output errors (it must flush sinks and report first).
  if (err.code === "EPIPE" && process.argv[2] !== "worker") process.exit(EXIT.ok);
  throw err;
});

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(USAGE);
    return name === undefined ? EXIT.invalid : EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(", ")}`);
  // Nothing of the OpenTelemetry SDK is loaded unless an OTEL_* variable asks for export.
  const telemetry = await startTelemetry(process.env, { serviceName: serviceNameFor(name, rest), pid: process.pid, nodeVersion: process.versions.node });
  try {
    const command = await load();
    return await command(rest);
  } finally {
    const failed = await telemetry?.shutdown();
    if (failed) process.stderr.write(`ttp: exporting traces failed: ${failed}\n`);
  }
}

function serviceNameFor(command: string, args: string[]): string {
  if (command !== "worker") return "ttp-cli";
  const i = args.findIndex((a) => a === "--role" || a.startsWith("--role="));
  const arg = args[i] ?? "";
  const role = arg.startsWith("--role=") ? arg.slice(7) : args[i + 1];
  return role === "master" ? "ttp-master" : "ttp-worker";
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof TypeError && "code" in err && String((err as { code: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
      process.exitCode = reportError(new UsageError(err.message));
      return;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(`ttp: ${err.message}\n`);
      process.exitCode = EXIT.invalid;
      return;
    }
    process.exitCode = reportError(err);
  },
);
