import type { QueryClient } from "@tanstack/react-query";
import type { RuleState } from "../../../lib/state/semantics";
import type { LiveMessage } from "../../_lib/live-message";
import { queryKeys } from "./query-keys";

/** One `emits` entry with the ATT&CK names the server looked up. */
export interface RulePageEmit {
  tactic: string;
  tacticName: string | null;
  tacticUrl: string | null;
  technique: string;
  techniqueName: string | null;
  techniqueUrl: string | null;
  confidence: number;
}

/** How much the rule fires across workers (SPEC §5); `known: false` without a worker database or when reading it failed; `workers: 0` when none reported it firing. */
export type RulePageFiring = { known: false } | { known: true; fires: number; recentFires: number; lastFiredAt: string | null; workers: number };

/** What the rule page shows of a rule: the cache entry under `queryKeys.rule(id)` (null once the rule is deleted). */
export interface RulePageData {
  ruleId: string;
  name: string;
  description: string;
  yamlText: string;
  revision: number;
  ruleVersion: number;
  origin: string;
  sourcePath: string | null;
  updatedAt: string;
  updatedBy: string | null;
  state: RuleState;
  appliesTo: string[];
  match: { type: "pattern"; pattern: string } | { type: "analyzer"; kind: string };
  emits: RulePageEmit[];
  firing: RulePageFiring;
}

/** The page's JSON route (same session and role checks as the page). */
export function rulePageUrl(ruleId: string): string {
  return `/rules/${encodeURIComponent(ruleId)}/data`;
}

/** Reads the rule page's data; null when the rule no longer exists; throws with the server's message otherwise. */
export async function fetchRulePage(ruleId: string, signal?: AbortSignal): Promise<RulePageData | null> {
  const res = await fetch(rulePageUrl(ruleId), { credentials: "same-origin", cache: "no-store", signal });
  if (res.status === 404) return null;
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { detail?: unknown } | null;
    throw new Error(typeof body?.detail === "string" ? body.detail : `Reading ${ruleId} failed: the server answered ${res.status}.`);
  }
  return (await res.json()) as RulePageData;
}

/**
 * Applies one /api/events message to the rule page's cache: a state change carries the state
 * (set in place); a definition change does not carry the YAML (the rule is refetched); a delete
 * empties the entry. The rule's history is refetched on every change of the rule; a resync
 * refetches both.
 */
export function applyLiveMessageToRule(client: QueryClient, m: LiveMessage): void {
  if (m.kind === "resync") {
    void client.invalidateQueries({ queryKey: ["rule"] });
    void client.invalidateQueries({ queryKey: ["history"] });
    return;
  }
  const key = queryKeys.rule(m.ruleId);
  if (m.kind === "state") client.setQueryData<RulePageData | null>(key, (d) => (d ? { ...d, state: m.state } : d));
  else if (m.kind === "deleted") client.setQueryData<RulePageData | null>(key, (d) => (d === undefined ? d : null));
  else void client.invalidateQueries({ queryKey: key });
  void client.invalidateQueries({ queryKey: queryKeys.history(m.ruleId) });
}
