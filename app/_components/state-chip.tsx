import type { RuleState } from "../../lib/state/semantics";
import { formatDuration } from "../../lib/state/durations";

/** The effective state as a chip: enabled / disabled / clipped ≤ x. */
export function StateChip({ state }: { state: RuleState }) {
  const label = state.state === "clipped" ? `clipped ≤ ${state.confidence_max ?? "?"}` : state.state;
  return <span className={`chip chip-${state.state}`}>{label}</span>;
}

/** "in 59m 58s" until an instant, or "—" when there is none. */
export function timeLeft(expiresAt: string | null, now: number): string {
  if (expiresAt === null) return "—";
  return `in ${formatDuration(Date.parse(expiresAt) - now)}`;
}
