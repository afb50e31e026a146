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

export class TtpError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TtpError";
    this.code = code;
  }
}

export class NotFoundError extends TtpError {
  constructor(message: string) {
    super("NOT_FOUND", message);
    this.name = "NotFoundError";
  }
}

export class ConflictError extends TtpError {
  /** Revision currently stored (null when the rule no longer exists). */
  readonly currentRevision: number | null;
  constructor(message: string, currentRevision: number | null) {
    super("CONFLICT", message);
    this.name = "ConflictError";
    this.currentRevision = currentRevision;
  }
}

export class ValidationError extends TtpError {
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[], message?: string) {
    super("VALIDATION", message ?? formatIssues(issues));
    this.name = "ValidationError";
    this.issues = issues;
  }
}

export class ForbiddenError extends TtpError {
  constructor(message: string) {
    super("FORBIDDEN", message);
    this.name = "ForbiddenError";
  }
}

export class BusyError extends TtpError {
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
