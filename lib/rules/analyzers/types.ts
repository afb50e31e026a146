import type { z } from "zod";

/** DECNET's analyzer families (analyzers.md §1.2), in the order upstream's composite runs them. */
export const ANALYZER_FAMILIES = ["behavioral", "intel", "canary", "email", "identity", "credential", "ipv6"] as const;
export type AnalyzerFamily = (typeof ANALYZER_FAMILIES)[number];

/**
 * What a rule author may write under `match:` for one `lifter:` kind. Lives in lib/rules so that
 * parseRule validates parameters without importing the engine; the engine's predicate of the
 * same kind (lib/engine/analyzers) receives the schema's output.
 */
export interface AnalyzerSpec<P extends Record<string, unknown> = Record<string, unknown>> {
  /** Full kind, e.g. "lifter:behavioral_beaconing". */
  readonly kind: string;
  readonly family: AnalyzerFamily;
  /** One sentence for the editor's completion and hover: what fires it. */
  readonly summary: string;
  /**
   * Parameters under `match:` (without `kind`): a zod looseObject (unknown keys accepted, as
   * DECNET's pack carries unused ones) with upstream's code defaults and a `.describe()` per key.
   */
  readonly params: z.ZodType<P>;
  /**
   * Parameters holding lists of rule-author regexes (Python `re` syntax): parseRule compiles every
   * element with compilePattern and reports problems at the element's line:column.
   */
  readonly patternParams: readonly string[];
  /** Payload fields the predicate reads (documentation, completion and the test panel). */
  readonly reads: readonly string[];
}
