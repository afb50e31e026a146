import type { ChangeLogEntry } from "../../lib/store/types";

interface StateSnap {
  state?: string;
  confidence_max?: number | null;
  expires_at?: string | null;
}
interface DefSnap {
  revision?: number;
  rule_version?: number;
  origin?: string;
}

function describeState(s: unknown): string {
  if (s === null || typeof s !== "object") return "enabled (default)";
  const v = s as StateSnap;
  const what = v.state === "clipped" ? `clipped ≤ ${v.confidence_max}` : (v.state ?? "?");
  return v.expires_at ? `${what} until ${v.expires_at.slice(0, 16).replace("T", " ")} UTC` : what;
}

function describeDef(d: unknown): string {
  if (d === null || typeof d !== "object") return "—";
  const v = d as DefSnap;
  return `rev ${v.revision ?? "?"} (v${v.rule_version ?? "?"}, ${v.origin ?? "?"})`;
}

/** "before → after" of one change-log entry, in words. */
export function ChangeSummary({ entry }: { entry: ChangeLogEntry }) {
  if (entry.kind === "state") {
    return (
      <span>
        {describeState(entry.before)} → <strong>{describeState(entry.after)}</strong>
        {entry.autoRevert && <span className="muted"> (expired)</span>}
      </span>
    );
  }
  if (entry.kind === "deleted") return <span>{describeDef(entry.before)} → deleted</span>;
  return (
    <span>
      {entry.before === null ? "created" : describeDef(entry.before)} → <strong>{describeDef(entry.after)}</strong>
    </span>
  );
}
