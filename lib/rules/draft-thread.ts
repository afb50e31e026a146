// Entry point of a draft thread (see draft-pool.ts): runs one job at a time and answers with plain data.
import { parentPort } from "node:worker_threads";
import type { ValidationIssue } from "../errors";
import type { RuleState } from "../state/semantics";
import { MAX_ISSUES, type DraftJob, type DraftJobResult, type FromDraftThread, type ToDraftThread } from "./draft-messages";
import { parseRule } from "./parse-rule";
import { testDraft } from "../engine/test-draft";

function capped(issues: ValidationIssue[]): ValidationIssue[] {
  if (issues.length <= MAX_ISSUES) return issues;
  const ordered = [...issues.filter((i) => i.severity === "error"), ...issues.filter((i) => i.severity !== "error")];
  const kept = ordered.slice(0, MAX_ISSUES);
  const last = kept[kept.length - 1] as ValidationIssue;
  kept.push({ ...last, path: [], message: `…and ${issues.length - MAX_ISSUES} more problems (only the first ${MAX_ISSUES} are shown)` });
  return kept;
}

const WARM_UP = `rule_id: R0
rule_version: 1
name: warm_up
applies_to: [command]
match:
  pattern: '(?i)\\buname\\s+-a\\b'
emits:
  - technique_id: T1082
    tactic: TA0007
    confidence: 0.5
tests:
  - event: {payload: {command_text: uname -a}}
    expect: [T1082]
`;

const port = parentPort;
if (port) {
  const waiting = new Map<number, { resolve: (s: RuleState) => void; reject: (e: Error) => void }>();
  const run = async (id: number, job: DraftJob): Promise<DraftJobResult> => {
    if (job.type === "validate") {
      const { rule, issues } = parseRule(job.yamlText, { source: job.source });
      return { issues: capped(issues), ruleId: rule?.ruleId ?? null };
    }
    const result = await testDraft({
      draftYaml: job.draftYaml,
      eventsText: job.eventsText,
      useExamples: job.useExamples,
      ...(job.nowMs === undefined ? {} : { nowMs: job.nowMs }),
      getState: (ruleId) =>
        new Promise<RuleState>((resolve, reject) => {
          waiting.set(id, { resolve, reject });
          const ask: FromDraftThread = { type: "get-state", id, ruleId };
          port.postMessage(ask);
        }),
    });
    return result.status === "invalid-draft" ? { ...result, issues: capped(result.issues) } : result;
  };
  port.on("message", (m: ToDraftThread) => {
    if (m.type === "state") {
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.state) w?.resolve(m.state);
      else w?.reject(new Error(m.error ?? "no state"));
      return;
    }
    run(m.id, m.job).then(
      (result) => port.postMessage({ type: "done", id: m.id, result } satisfies FromDraftThread),
      (err: unknown) => port.postMessage({ type: "failed", id: m.id, message: err instanceof Error ? err.message : String(err) } satisfies FromDraftThread),
    );
  });
  // Loads the catalog, the schema and RE2 before the first job, whose time limit should not pay for it.
  parseRule(WARM_UP, { source: "warm-up" });
  port.postMessage({ type: "ready" } satisfies FromDraftThread);
}
