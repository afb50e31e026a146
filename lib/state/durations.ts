import { parseInstant } from "./semantics";

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION_RE = /^(\d+)(s|m|h|d)$/;

/** `90s`, `30m`, `2h`, `7d` → milliseconds; null when the text is not such a duration. */
export function parseDurationMs(text: string): number | null {
  const d = DURATION_RE.exec(text.trim());
  if (!d) return null;
  return Number(d[1]) * UNIT_MS[d[2] as keyof typeof UNIT_MS];
}

export type ExpiresResult = { ok: true; expiresAt: string } | { ok: false; message: string };

/** An expiry given as a positive duration from now (90s, 30m, 2h, 7d) or an ISO-8601 instant with a zone. */
export function resolveExpires(value: string, nowMs: number): ExpiresResult {
  const ms = parseDurationMs(value);
  if (ms !== null) {
    if (ms <= 0) return { ok: false, message: "must be a positive duration" };
    return { ok: true, expiresAt: new Date(nowMs + ms).toISOString() };
  }
  const t = parseInstant(value.trim());
  if (t === null) {
    return { ok: false, message: `must be a duration like 90s, 30m, 2h, 7d or an ISO-8601 instant with a zone like 2026-12-01T09:00:00Z (got "${value}")` };
  }
  return { ok: true, expiresAt: new Date(t).toISOString() };
}

/** Compact human form of a positive duration: `45s`, `12m`, `3h 5m`, `2d 4h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
