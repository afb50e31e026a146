import { runToExit, TTP_BIN } from "../../testing/child-process";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `ttp` CLI (bin/ttp: the bundle, rebuilt when a source is newer) in its own OS process. */
export async function runCli(args: string[], options: { input?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const { code, stdout, stderr } = await runToExit([TTP_BIN, ...args], {
    env: { ...process.env, TTP_LOG_LEVEL: "warn", ...options.env },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.input === undefined ? {} : { input: options.input }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  return { code, stdout, stderr };
}
