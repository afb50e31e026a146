/** Closed set of error codes; mapped once to exit codes (CLI), HTTP status (routes) and ActionResult (actions). */
export type ErrorCode = "NOT_FOUND" | "CONFLICT" | "VALIDATION" | "FORBIDDEN" | "BUSY" | "INTERNAL";

/** One validation problem: where (file or rule id, YAML path, 1-based line:column) and what to fix. */
export interface ValidationIssue {
  /** File path or rule id the problem belongs to ("" when unknown). */
  source: string;
  /** YAML path of the offending node, e.g. ["emits", 0, "confidence"]; [] for the document. */
  path: (string | number)[];
  line: number;
  column: number;
  message: string;
  severity: "error" | "warning";
}

// A bundler may give lib/errors.ts more than one module instance in one process (Next.js chunks),
// and then a plain `instanceof` fails across them and a validation error turns into a 500. The
// brand is a registered symbol, the same in every instance; `instanceof` checks it and the name.
const BRAND = Symbol.for("ttp.TtpError");

export class TtpError extends Error {
  /** The `name` of this class's instances (literal, so minification cannot change it). */
  static readonly kind: string = "TtpError";
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TtpError";
    this.code = code;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== "object" || value === null || (value as Record<symbol, unknown>)[BRAND] !== true) return false;
    return this.kind === TtpError.kind || (value as Error).name === this.kind;
  }
}

export class NotFoundError extends TtpError {
  static override readonly kind: string = "NotFoundError";
  constructor(message: string) {
    super("NOT_FOUND", message);
    this.name = "NotFoundError";
  }
}

export class ConflictError extends TtpError {
  static override readonly kind: string = "ConflictError";
  /** Revision currently stored (null when the rule no longer exists). */
  readonly currentRevision: number | null;
  constructor(message: string, currentRevision: number | null) {
    super("CONFLICT", message);
    this.name = "ConflictError";
    this.currentRevision = currentRevision;
  }
}

export class ValidationError extends TtpError {
  static override readonly kind: string = "ValidationError";
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[], message?: string) {
    super("VALIDATION", message ?? formatIssues(issues));
    this.name = "ValidationError";
    this.issues = issues;
  }
}

export class ForbiddenError extends TtpError {
  static override readonly kind: string = "ForbiddenError";
  constructor(message: string) {
    super("FORBIDDEN", message);
    this.name = "ForbiddenError";
  }
}

export class BusyError extends TtpError {
  static override readonly kind: string = "BusyError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("BUSY", message, options);
    this.name = "BusyError";
  }
}

export function isTtpError(err: unknown): err is TtpError {
  return err instanceof TtpError;
}

/** `source:line:col: message` — the one format used by the CLI and error messages. */
export function formatIssue(issue: ValidationIssue): string {
  const where = issue.path.length > 0 ? ` (at ${formatPath(issue.path)})` : "";
  const sev = issue.severity === "warning" ? "warning: " : "";
  return `${issue.source}:${issue.line}:${issue.column}: ${sev}${issue.message}${where}`;
}

export function formatIssues(issues: ValidationIssue[]): string {
  const errors = issues.filter((i) => i.severity === "error");
  if (errors.length === 0) return "no validation errors";
  return errors.map(formatIssue).join("\n");
}

export function formatPath(path: (string | number)[]): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out === "" ? seg : `.${seg}`;
  return out;
}

/** The message of anything thrown, for logs and error text. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
