import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { ValidationIssue } from "../errors";
import { compileFromDefinition } from "./definition";
import { collectRuleFiles, listRuleFiles, parseRuleFile, ruleFilesAt, validateRuleFiles, type LoadedRuleFiles, type ParsedRuleFile, type RuleFile } from "./rule-files";

/** A chunk of rule files for a loading thread. */
export interface LoadJob {
  id: number;
  paths: string[];
  /** The files' texts when the caller has read them already; null: whoever validates the job reads them. */
  texts: string[] | null;
}

export type LoadReply =
  /** `text`: the file's text, when the job carried none (the text validated is the text imported, never read twice). */
  | { id: number; ok: true; results: { text: string | null; issues: ValidationIssue[]; definition: string | null }[] }
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
 * result). The threads start as soon as the directory is listed, and each reads the files of the
 * chunks it validates: reading 10,000 small files on the main thread first took ≈ 0.4 s while the
 * threads waited.
 */
export async function loadRulesDirInThreads(dir: string, options: LoadPoolOptions = {}): Promise<LoadedRuleFiles> {
  const paths = await listRuleFiles(dir);
  return validatePathsInThreads(paths, options);
}

/** loadRulesDirInThreads for a list of rule file paths (read by whichever thread validates them). */
export async function validatePathsInThreads(paths: readonly string[], options: LoadPoolOptions = {}): Promise<LoadedRuleFiles> {
  const workers = startThreads(paths.length, options);
  try {
    return await validateWithThreads(paths, null, workers, options);
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
  // The CLI bundle (dist/cli/, where the build points this URL at load-thread.js): through
  // bin/cli-bundle.cjs, which keeps V8's code cache of the thread's bundle beside it (compiling its
  // 1 MB took ≈ 50 ms of the thread's start-up, while the main thread validated alone).
  const url = new URL("./load-thread.ts", import.meta.url);
  if (url.protocol === "file:" && url.pathname.endsWith(".js")) {
    const entry = fileURLToPath(url);
    const loader = path.join(path.dirname(entry), "../../bin/cli-bundle.cjs");
    if (existsSync(loader)) return new Worker(`require(${JSON.stringify(loader)}).runMain(${JSON.stringify(entry)});`, { eval: true });
  }
  return new Worker(url);
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
    return await validateWithThreads(
      files.map((f) => f.path),
      files.map((f) => f.text),
      workers,
      options,
    );
  } finally {
    for (const w of workers) void w.terminate();
  }
}

async function validateWithThreads(paths: readonly string[], texts: readonly string[] | null, workers: readonly Worker[], options: LoadPoolOptions): Promise<LoadedRuleFiles> {
  if (workers.length === 0) return validateRuleFiles(ruleFilesAt(paths, texts));
  const size = chunkSize(options);
  const jobs: LoadJob[] = [];
  for (let start = 0; start < paths.length; start += size) {
    jobs.push({ id: jobs.length, paths: paths.slice(start, start + size), texts: texts === null ? null : texts.slice(start, start + size) });
  }
  const done: (ParsedRuleFile[] | undefined)[] = new Array(jobs.length);
  let next = 0;
  const stats = options.stats ?? { threadJobs: 0, mainJobs: 0 };
  const inProcess = (job: LoadJob): void => {
    done[job.id] = ruleFilesAt(job.paths, job.texts).map(parseRuleFile);
    stats.mainJobs++;
  };

  const running = workers.map(
    (worker) =>
      new Promise<void>((resolve, reject) => {
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
          // Validated in-process (a file the thread could not read fails here with its own error); this thread takes no more work.
          failed = true;
          try {
            for (const job of sent.splice(0)) inProcess(job);
          } catch (err) {
            reject(err);
            return;
          }
          resolve();
        };
        worker.on("message", (reply: LoadReply) => {
          const job = sent[0];
          if (failed || !job || reply.id !== job.id) return;
          if (!reply.ok || reply.results.length !== job.paths.length || (job.texts === null && reply.results.some((r) => r.text === null))) return fail();
          sent.shift();
          done[job.id] = reply.results.map((r, k) => {
            const file = { path: job.paths[k] as string, text: (job.texts === null ? r.text : job.texts[k]) as string };
            const rule = r.definition ? compileFromDefinition(r.definition, file.text) : null;
            // A definition that does not rebuild (never expected) is validated again here.
            if (r.definition !== null && (rule === null || rule.yamlText !== file.text)) return parseRuleFile(file);
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
  const threadsDone = Promise.all(running);
  // A thread's job that fails to read rejects this while the main thread still works: awaited below, never left unhandled.
  threadsDone.catch(() => undefined);
  // The main thread takes jobs too, yielding between them so the threads' answers are taken in.
  for (let job = jobs[next++]; job !== undefined; job = jobs[next++]) {
    inProcess(job);
    await nextTurn();
  }
  await threadsDone;
  const parsed: ParsedRuleFile[] = [];
  for (const [i, d] of done.entries()) {
    const job = jobs[i] as LoadJob;
    for (const p of d ?? ruleFilesAt(job.paths, job.texts).map(parseRuleFile)) parsed.push(p);
  }
  return collectRuleFiles(parsed);
}
