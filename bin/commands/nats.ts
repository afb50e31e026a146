import { parseArgs } from "node:util";
import { DEFAULT_STREAM, ensureStreams, natsClients, validPrefix } from "../../lib/worker/nats";
import { EXIT, parseNumberOption, UsageError } from "../cli-support";
import { NATS_USAGE } from "./usage";
import { parseEnv } from "../config";
import { loggerFor } from "../open-store";


/** `ttp nats init`: creates or updates the input stream and `<stream>_TTP` (idempotent); prints what it did. */
export async function runNats(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== "init") throw new UsageError(`unknown nats command "${sub ?? ""}": ${NATS_USAGE[0]}`);
  const { values } = parseArgs({
    args: rest,
    allowPositionals: false,
    options: { nats: { type: "string" }, stream: { type: "string" }, "subject-prefix": { type: "string" }, replicas: { type: "string" } },
  });
  const url = values.nats;
  if (url === undefined || url.trim() === "") throw new UsageError(`nats init needs --nats <url>: ${NATS_USAGE[0]}`);
  const stream = values.stream ?? DEFAULT_STREAM;
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(stream)) throw new UsageError(`--stream must be letters, digits, _ and - (got "${stream}")`);
  const prefix = values["subject-prefix"] ?? "";
  if (!validPrefix(prefix)) throw new UsageError(`--subject-prefix must be empty or NATS tokens ending with a dot, e.g. "site-a." (got "${prefix}")`);
  const replicas = parseNumberOption("replicas", values.replicas, 1, 5) ?? 1;
  if (!Number.isInteger(replicas)) throw new UsageError("--replicas must be a whole number from 1 to 5");
  const logger = loggerFor(parseEnv());
  let clients;
  try {
    clients = await natsClients(url, "ttp-nats-init", logger, false);
  } catch (err) {
    process.stderr.write(`ttp: cannot reach NATS at ${url}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.runtime;
  }
  try {
    for (const line of await ensureStreams(clients.jsm, { stream, prefix, replicas })) process.stdout.write(`${line}\n`);
  } finally {
    await clients.nc.close();
  }
  return EXIT.ok;
}
