import type { CompiledRule } from "./types";
import { DEFAULT_FIELDS } from "./types";

/** The payload field a pattern rule reads for events of `sourceKind` (null when it has none). */
export function fieldFor(matchField: string | null, sourceKind: string): string | null {
  return matchField ?? DEFAULT_FIELDS[sourceKind] ?? null;
}

/**
 * Whether the rule's match fires on this event, ignoring operational state. A missing or
 * non-string field does not match; analyzer rules never match in the generic engine.
 */
export function matchesEvent(rule: CompiledRule, sourceKind: string, payload: Readonly<Record<string, unknown>>): boolean {
  if (rule.match.type !== "pattern" || rule.matcher === null) return false;
  if (!rule.appliesTo.has(sourceKind)) return false;
  const field = fieldFor(rule.match.field, sourceKind);
  if (field === null) return false;
  const value = payload[field];
  return typeof value === "string" && rule.matcher.test(value);
}
