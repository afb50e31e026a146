import type { RuleState } from "../../lib/state/semantics";
import type { AttackNames, RuleRow } from "./rule-row";

/** One server-sent event of /api/events (JSON in `data:`; `id:` is the feed seq when known). */
export type LiveMessage =
  | { kind: "state"; seq: number | null; ruleId: string; state: RuleState; autoRevert: boolean; actor: string | null; at: string }
  | { kind: "definition"; seq: number | null; ruleId: string; row: RuleRow; description: string; names: AttackNames; actor: string | null; at: string }
  | { kind: "deleted"; seq: number | null; ruleId: string; actor: string | null; at: string }
  | { kind: "resync"; seq: null };
