import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ValidationIssue } from "../errors";
import { compileFromDefinition } from "./definition";
import { collectRuleFiles, listRuleFiles, parseRuleFile, readRuleFileTexts, validateRuleFiles, type LoadedRuleFiles, type ParsedRuleFile, type RuleFile } from "./rule-files";

/** A chunk of files for a loading thread. */
export interface LoadJob {
  id: number;
  files: RuleFile[];
}

export type LoadReply =
  | { id: number; ok: true; results: { issues: ValidationIssue[]; definition: string | null }[] }
  | { id: number; ok: false; message: string };

export interface LoadPoolOptions {
  /** Loading threads beside the main thread; default: the cores but one, at most 3. 0 = in-process only. */
  threads?: number;
  /** Fewer files than this are validated in-process (a thread's start-up costs ~100 ms); default 1000. */
  minFiles?: number;
  /** Files per job; default 125. */
  chunk?: number;
  /** Filled in: jobs validated by a thread and in-process. */
  stats?: { threadJobs: number; mainJobs: number };
}

/** Jobs sent to a thread ahead of its answers, so that it never waits for the main thread to finish a job of its own. */
const IN_FLIGHT = 2;

export function defaultLoadThreads(): number {
  return Math.max(0, Math.min(3, availableParallelism() - 1));
}

/**
 * loadRulesDir with the validation spread over threads when there are thousands of files (same
 * result). The threads start before the files are read, so their start-up overlaps the reading.
 */
export async function loadRulesDirInThreads(dir: string, options: LoadPoolOptions = {}): Promise<LoadedRuleFiles> {
  const paths = await listRuleFiles(dir);
  const workers = startThreads(paths.length, options);
  try {
    return await validateWithThreads(readRuleFileTexts(paths), workers, options);
  } finally {
    for (const w of workers) void w.terminate();
  }
}

/** This module's own TypeScript file when it runs from source (tsx, vitest), else null. */
function sourceFile(): string | null {
  const self = typeof __filename === "string" ? __filename : fileURLToPath(import.meta.url);
  return self.endsWith(".ts") && existsSync(self) ? self : null;
}

function spawnLoadThread(): Worker {
  const source = sourceFile();
  if (source) {
    const entry = path.join(path.dirname(source), "load-thread.ts");
    const tsx = createRequire(source).resolve("tsx/cjs");
    return new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(entry)});`, { eval: true });
  }
  return new Worker(new URL("./load-thread.ts", import.meta.url));
}

/** The loading threads for `fileCount` files: none under minFiles, or when a single job would hold them all. */
function startThreads(fileCount: number, options: LoadPoolOptions): Worker[] {
  const threads = options.threads ?? defaultLoadThreads();
  if (threads < 1 || fileCount < (options.minFiles ?? 1000) || fileCount <= chunkSize(options)) return [];
  return Array.from({ length: threads }, spawnLoadThread);
}

const chunkSize = (options: LoadPoolOptions): number => Math.max(1, options.chunk ?? 125);

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * validateRuleFiles (every file fully validated, then duplicate ids across files) with chunks of
 * files validated by loading threads while the main thread validates chunks too. A thread answers
 * each valid rule's definition JSON, from which the rule is rebuilt (compileFromDefinition, the
 * stored-rule path); the result is the same as in-process, in the same order. A chunk whose thread
 * fails is validated in-process.
 */
export async function validateRuleFilesInThreads(files: RuleFile[], options: LoadPoolOptions = {}): Promise<LoadedRuleFiles> {
  const workers = startThreads(files.length, options);
  try {
    return await validateWithThreads(files, workers, options);
  } finally {
    for (const w of workers) void w.terminate();
  }
}

async function validateWithThreads(files: RuleFile[], workers: readonly Worker[], options: LoadPoolOptions): Promise<LoadedRuleFiles> {
  if (workers.length === 0) return validateRuleFiles(files);
  const size = chunkSize(options);
  const jobs: LoadJob[] = [];
  for (let start = 0; start < files.length; start += size) jobs.push({ id: jobs.length, files: files.slice(start, start + size) });
  const done: (ParsedRuleFile[] | undefined)[] = new Array(jobs.length);
  let next = 0;
  const stats = options.stats ?? { threadJobs: 0, mainJobs: 0 };
  const inProcess = (job: LoadJob): void => {
    done[job.id] = job.files.map(parseRuleFile);
    stats.mainJobs++;
  };

  const running = workers.map(
    (worker) =>
      new Promise<void>((resolve) => {
        // Jobs sent and not yet answered, oldest first (a thread answers in order).
        const sent: LoadJob[] = [];
        let failed = false;
        const give = (): void => {
          while (!failed && sent.length < IN_FLIGHT) {
            const job = jobs[next++];
            if (!job) break;
            sent.push(job);
            worker.postMessage(job);
          }
          if (sent.length === 0) resolve();
        };
        const fail = (): void => {
          if (failed) return;
          // Validated in-process; this thread takes no more work.
          failed = true;
          for (const job of sent.splice(0)) inProcess(job);
          resolve();
        };
        worker.on("message", (reply: LoadReply) => {
          const job = sent[0];
          if (failed || !job || reply.id !== job.id) return;
          if (!reply.ok) return fail();
          sent.shift();
          done[job.id] = job.files.map((file, k) => {
            const r = reply.results[k];
            const rule = r?.definition ? compileFromDefinition(r.definition, file.text) : null;
            // A definition that does not rebuild (never expected) is validated again here.
            if (!r || (r.definition !== null && (rule === null || rule.yamlText !== file.text))) return parseRuleFile(file);
            return { file, rule, issues: r.issues };
          });
          stats.threadJobs++;
          give();
        });
        worker.once("error", fail);
        worker.once("exit", fail);
        give();
      }),
  );
  // The main thread takes jobs too, yielding between them so the threads' answers are taken in.
  for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) {
    inProcess(job);
    await nextTurn();
  }
  await Promise.all(running);
  const parsed: ParsedRuleFile[] = [];
  for (const [i, d] of done.entries()) {
    const job = jobs[i] as LoadJob;
    for (const p of d ?? job.files.map(parseRuleFile)) parsed.push(p);
  }
  return collectRuleFiles(parsed);
}
