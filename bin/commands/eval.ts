import { createWriteStream, fstatSync } from "node:fs";
import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { formatIssue } from "../../lib/errors";
import { readRuleFiles, validateRuleFiles } from "../../lib/rules/rule-files";
import type { CompiledRule } from "../../lib/rules/types";
import { EvalPool } from "../../lib/worker/eval-pool";
import type { BlockResult, EvaluateOptions } from "../../lib/worker/evaluate-block";
import { blockMemory, evaluateBlocks, INPUT_BYTES, READ_BYTES } from "../../lib/worker/evaluate-stream";
import { fileInput, InputControl, streamInput } from "../../lib/worker/input";
import { fromWire, toWire } from "../../lib/worker/rule-ops";
import { JsonlSink } from "../../lib/worker/sinks";
import { createWorkerEngine } from "../../lib/worker/worker-engine";
import { EXIT, parseNumberOption, UsageError } from "../cli-support";
import { RulesCache, type ValidatedRules } from "../rules-cache";
import { EVAL_USAGE } from "./usage";

/**
 * `ttp eval`: JSON Lines events in, one JSON line per tag out; bad lines reported and skipped.
 * The worker's input path (blocks of complete lines, evaluate-block, tag-lines, optional
 * evaluation threads) without its default confidence floor: every tag unless --min-confidence.
 */
export async function runEval(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      rules: { type: "string" },
      events: { type: "string" },
      "min-confidence": { type: "string" },
      threads: { type: "string" },
    },
  });
  if (!values.rules) throw new UsageError(`eval needs --rules <dir>: ${EVAL_USAGE}`);
  const minConfidence = parseNumberOption("min-confidence", values["min-confidence"], 0, 1);
  const threads = parseNumberOption("threads", values.threads, 0, 64) ?? 0;
  if (!Number.isInteger(threads)) throw new UsageError(`--threads must be a whole number between 0 and 64 (got "${values.threads}")`);
  try {
    if (!(await stat(values.rules)).isDirectory()) throw new UsageError(`--rules ${values.rules} is not a directory`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--rules ${values.rules}: no such directory`);
  }
  // Every malformed line is reported, so every one is kept with its message.
  const evaluate: EvaluateOptions = { minConfidence: minConfidence ?? -Infinity, jsonl: true, rows: false, maxSamples: Number.MAX_SAFE_INTEGER };
  const engine = createWorkerEngine();
  let fatal: Error | null = null;
  // The threads start first: they load their bundle while this thread validates the rules.
  const pool = threads > 0 ? new EvalPool(threads, evaluate, (err) => (fatal ??= err), INPUT_BYTES) : null;
  try {
    const { rules, validated } = await validatedRules(values.rules);
    for (const issue of validated.issues) process.stderr.write(`${formatIssue(issue)}\n`);
    if (validated.issues.some((i) => i.severity === "error")) {
      process.stderr.write(`ttp eval: rules with errors are skipped; evaluating ${validated.rules.length} valid rule(s)\n`);
    }
    if (pool) await pool.broadcast({ op: "replace", rules: validated.rules });
    else engine.replaceAll(rules);
  } catch (err) {
    await pool?.close();
    throw err;
  }

  const eventsPath = values.events ?? "-";
  const name = eventsPath === "-" ? "<stdin>" : eventsPath;
  const memory = blockMemory(pool);
  const io = { control: new InputControl(), alloc: (n: number) => memory.input.take(n), blockBytes: READ_BYTES };
  const input = eventsPath === "-" ? streamInput(process.stdin, io) : fileInput(eventsPath, { ...io, follow: false });
  const out = stdoutSink();
  let lines = 0;
  let bad = 0;
  const handle = async (r: BlockResult): Promise<void> => {
    if (r.malformed > 0) {
      bad += r.malformed;
      let text = "";
      for (const m of r.malformedSamples) text += `${name}:${lines + m.line}: skipped: ${m.error}\n`;
      process.stderr.write(text);
    }
    lines += r.lines;
    if (r.jsonl.length > 0) {
      const bytes = r.jsonl;
      await out.write(bytes, () => memory.release(bytes));
    }
  };
  let code: number = EXIT.ok;
  try {
    await evaluateBlocks(input, { engine, pool, evaluate, memory, handle, stopped: () => fatal !== null });
    if (fatal) throw fatal;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(fatal ? `ttp eval: ${message}\n` : `ttp eval: cannot read ${eventsPath}: ${message}\n`);
    code = EXIT.runtime;
  } finally {
    await pool?.close();
  }
  await out.close();
  if (bad > 0) process.stderr.write(`ttp eval: ${bad} malformed event line(s) skipped\n`);
  return code;
}

/**
 * The rule directory validated (files, schema, `tests:`), from the CLI's rules cache when the same
 * files were validated before by the same build; a cached rule that no longer compiles means the
 * whole set is validated again.
 */
async function validatedRules(dir: string): Promise<{ rules: CompiledRule[]; validated: ValidatedRules }> {
  const files = await readRuleFiles(dir);
  const cache = RulesCache.for(files);
  const hit = cache?.get() ?? null;
  if (hit !== null) {
    const rules: CompiledRule[] = [];
    for (const w of hit.rules) {
      const r = fromWire(w);
      if (r === null || r.ruleId !== w.ruleId) break;
      rules.push(r);
    }
    if (rules.length === hit.rules.length) return { rules, validated: hit };
  }
  const loaded = validateRuleFiles(files);
  const validated = { rules: loaded.rules.map(toWire), issues: loaded.issues };
  cache?.put(validated);
  return { rules: loaded.rules, validated };
}

/**
 * The tag output. process.stdout writes a regular file synchronously, on this thread; a stream of
 * its own on fd 1 has libuv's thread pool write it instead, chunks pending together in one writev.
 */
function stdoutSink(): JsonlSink {
  let file = false;
  try {
    file = fstatSync(1).isFile();
  } catch {
    // Not a descriptor fstat can inspect: process.stdout reports any problem itself.
  }
  if (!file) return new JsonlSink(process.stdout);
  // Ended (not closed) at the end: every pending write has reached the file then.
  return new JsonlSink(createWriteStream("/dev/stdout", { fd: 1, autoClose: false, highWaterMark: 4 * 1024 * 1024 }), { end: true });
}
