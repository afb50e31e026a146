import { Engine } from "../engine/engine";
import { createEmailBodyReader } from "./email-artifacts";

/** How a worker builds its engines (the main one and every evaluation thread's): plain data, it crosses to threads. */
export interface WorkerEngineOptions {
  /** Match-cache entries per generation (Engine's default when absent). */
  matchCacheEntries?: number;
  /** TTP_ARTIFACTS_DIR: e-mail analyzers may read message bodies inside it (analyzers.md §3.5.4); off when absent. */
  artifactsDir?: string;
}

export function createWorkerEngine(options: WorkerEngineOptions = {}): Engine {
  return new Engine({
    ...(options.matchCacheEntries === undefined ? {} : { matchCacheEntries: options.matchCacheEntries }),
    ...(options.artifactsDir === undefined ? {} : { emailBodyReader: createEmailBodyReader({ root: options.artifactsDir }) }),
  });
}
