import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { Engine } from "../../lib/engine/engine";
import { parseEventLine } from "../../lib/engine/event-line";
import { formatIssue } from "../../lib/errors";
import { loadRulesDir } from "../../lib/rules/rule-files";
import { EXIT, LineWriter, parseNumberOption, UsageError } from "../cli-support";

export const EVAL_USAGE = "ttp eval --rules <dir> [--events <file>|-] [--min-confidence x]";

/** `ttp eval`: JSON Lines events in, one JSON line per tag out; bad lines reported and skipped. */
export async function runEval(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      rules: { type: "string" },
      events: { type: "string" },
      "min-confidence": { type: "string" },
    },
  });
  if (!values.rules) throw new UsageError(`eval needs --rules <dir>: ${EVAL_USAGE}`);
  const minConfidence = parseNumberOption("min-confidence", values["min-confidence"], 0, 1);
  try {
    if (!(await stat(values.rules)).isDirectory()) throw new UsageError(`--rules ${values.rules} is not a directory`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--rules ${values.rules}: no such directory`);
  }
  const loaded = await loadRulesDir(values.rules);
  for (const issue of loaded.issues) process.stderr.write(`${formatIssue(issue)}\n`);
  if (loaded.issues.some((i) => i.severity === "error")) {
    process.stderr.write(`ttp eval: rules with errors are skipped; evaluating ${loaded.rules.length} valid rule(s)\n`);
  }
  const engine = new Engine();
  engine.replaceAll(loaded.rules);

  const eventsPath = values.events ?? "-";
  const input = eventsPath === "-" ? process.stdin : createReadStream(eventsPath);
  input.on("error", (err: Error) => {
    process.stderr.write(`ttp eval: cannot read ${eventsPath}: ${err.message}\n`);
    process.exitCode = EXIT.runtime;
  });
  const out = new LineWriter();
  const lines = createInterface({ input, crlfDelay: Infinity });
  let lineNo = 0;
  let bad = 0;
  for await (const line of lines) {
    lineNo++;
    if (line.trim() === "") continue;
    const parsed = parseEventLine(line);
    if (!parsed.ok) {
      bad++;
      process.stderr.write(`${eventsPath === "-" ? "<stdin>" : eventsPath}:${lineNo}: skipped: ${parsed.error}\n`);
      continue;
    }
    for (const tag of engine.evaluate(parsed.event)) {
      if (minConfidence !== undefined && tag.confidence < minConfidence) continue;
      await out.write(JSON.stringify(tag));
    }
  }
  await out.flush();
  if (bad > 0) process.stderr.write(`ttp eval: ${bad} malformed event line(s) skipped\n`);
  return process.exitCode === EXIT.runtime ? EXIT.runtime : EXIT.ok;
}
