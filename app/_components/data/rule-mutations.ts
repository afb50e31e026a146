import type { EditorFailure } from "../../_lib/rule-editor-types";
import type { ActionResult } from "../../_server/action-result";

/** A server action's refusal, thrown so react-query rolls back (`onError`); carries the result for the form that acted. */
export class ActionRefusal extends Error {
  constructor(readonly result: EditorFailure) {
    super(result.message);
    this.name = "ActionRefusal";
  }
}

/** The action's data, or an ActionRefusal. */
export function unwrap<T>(r: ActionResult<T> | { ok: true; data: T } | EditorFailure): T {
  if (!r.ok) throw new ActionRefusal(r);
  return r.data;
}

/** The refusal as a failed result (a network failure or a thrown action becomes INTERNAL with its message). */
export function refusalOf(err: unknown, what: string): EditorFailure {
  if (err instanceof ActionRefusal) return err.result;
  return { ok: false, code: "INTERNAL", message: `${what} failed: ${err instanceof Error ? err.message : String(err)}` };
}
