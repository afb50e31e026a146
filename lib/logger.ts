/** Structured logger the library writes to; entry points choose the sink (stderr JSON by default). */
export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

/** One JSON line per entry on stderr, at or above `level`. */
export function createStderrLogger(level: LogLevel = "info", name = "ttp"): Logger {
  const emit = (lvl: Exclude<LogLevel, "silent">, message: string, context?: Record<string, unknown>): void => {
    if (ORDER[lvl] < ORDER[level]) return;
    process.stderr.write(`${JSON.stringify({ level: lvl, at: new Date().toISOString(), logger: name, message, ...context })}\n`);
  };
  return {
    debug: (m, c) => emit("debug", m, c),
    info: (m, c) => emit("info", m, c),
    warn: (m, c) => emit("warn", m, c),
    error: (m, c) => emit("error", m, c),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
