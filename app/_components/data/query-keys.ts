/**
 * Every react-query key of the console, in one place, so the live stream (one hook) and the
 * mutations invalidate or update exactly what a change touches.
 */
export const queryKeys = {
  /** The rule list (rows of every rule). */
  rules: () => ["rules"] as const,
  /** rule id → description of every rule (the rule list's search). */
  descriptions: () => ["rule-descriptions"] as const,
  /** One rule's page data (definition, state, description). */
  rule: (id: string) => ["rule", id] as const,
  /** One rule's change history (infinite query, newest first). */
  history: (id: string) => ["history", id] as const,
  /** A history entry's text compared with the rule's current revision (under the history: refetched with it). */
  revisionDiff: (id: string, seq: number, currentRevision: number | null) => ["history", id, "diff", seq, currentRevision] as const,
  /** The problems of one editor draft (validated on the server, keyed by its text). */
  draftCheck: (ruleId: string | null, text: string) => ["draft-check", ruleId, text] as const,
  /** The MITRE ATT&CK catalog (names of tactics and techniques). */
  attackCatalog: () => ["attack-catalog"] as const,
  /** Expiring states (the /expiring page). */
  expiring: () => ["expiring"] as const,
} as const;
