"use server";
import { z } from "zod";
import type { TestDraftResult } from "../../lib/engine/test-draft";
import { authorize, fail, toActionError, type ActionResult } from "../_server/action-result";
import { withDraftBudget } from "../_server/drafts";
import { getServices } from "../_server/services";

const TestRuleDraftInput = z.object({
  ruleId: z.string().regex(/^[A-Za-z0-9_]{1,128}$/, { message: "Unknown rule id." }).nullable(),
  draftYaml: z.string({ message: "The draft must be text." }),
  eventsText: z.string({ message: "The sample events must be text." }).default(""),
  useExamples: z.boolean().optional(),
});
export type TestRuleDraftInput = z.input<typeof TestRuleDraftInput>;

/** What a run returns to the panel (invalid drafts included: they are a result, not a failure). */
export type TestRuleDraftData = Exclude<TestDraftResult, { status: "refused" }> & { ruleIdMismatch: string | null };

/**
 * Runs the editor's draft against pasted events (or its own `tests:` examples) with the rule's
 * stored state. Read-only: any signed-in user may run it.
 */
export async function testRuleDraftAction(input: TestRuleDraftInput): Promise<ActionResult<TestRuleDraftData>> {
  const who = await authorize("viewer");
  if (!who.ok) return who.result;
  const parsed = TestRuleDraftInput.safeParse(input);
  if (!parsed.success) return fail("VALIDATION", parsed.error.issues[0]?.message ?? "Invalid request.");
  const v = parsed.data;
  const { store } = await getServices();
  // On the draft pool (off the event loop, time-limited), rate-limited per user like validation.
  return withDraftBudget(who.user, async (pool, onStopped) => {
    try {
      const result = await pool.test({ draftYaml: v.draftYaml, eventsText: v.eventsText, useExamples: v.useExamples === true }, (ruleId) => store.getState(ruleId), { onStopped });
      if (result.status === "refused") return fail("VALIDATION", result.message, result.field ? { [result.field]: result.message } : undefined);
      const mismatch =
        result.status === "ran" && v.ruleId !== null && result.ruleId !== v.ruleId
          ? `The draft declares rule_id ${result.ruleId}, not ${v.ruleId}: the stored state of ${result.ruleId} is applied.`
          : null;
      return { ok: true, data: { ...result, ruleIdMismatch: mismatch } };
    } catch (err) {
      return toActionError(err, "Testing the draft");
    }
  });
}
