import { describe, expect, it } from "vitest";
import { importSummary, planFromPreview, type ImportPreviewData, type ImportResultRow } from "./transfer";

const row = (ruleId: string, outcome: ImportResultRow["outcome"]): ImportResultRow => ({ ruleId, outcome, revision: null, message: null });

describe("importSummary", () => {
  it("always counts added, changed and unchanged; deleted only when deletes were asked for", () => {
    const results = [row("A", "added"), row("B", "changed"), row("C", "unchanged"), row("D", "unchanged")];
    expect(importSummary(results, false)).toBe("1 added, 1 changed, 2 unchanged");
    expect(importSummary(results, true)).toBe("1 added, 1 changed, 0 deleted, 2 unchanged");
  });

  it("names the rules that conflicted or failed", () => {
    const results = [row("A", "changed"), row("B", "conflict"), row("C", "conflict"), row("D", "failed"), row("E", "skipped")];
    expect(importSummary(results, false)).toBe("0 added, 1 changed, 0 unchanged, 2 conflicts: B, C, 1 failed: D, 1 not attempted");
  });
});

describe("planFromPreview", () => {
  it("expects revision 0 for new rules and the previewed revision for the rest", () => {
    const preview = {
      add: [{ ruleId: "N", file: "N.yaml" }],
      change: [{ ruleId: "B", file: "B.yaml", revision: 4, added: 1, removed: 1, diff: null, diffTruncated: false }],
      unchanged: [{ ruleId: "A", file: "A.yaml", revision: 2 }],
      delete: [{ ruleId: "Z", revision: 7 }],
    } as unknown as ImportPreviewData;
    expect(planFromPreview(preview)).toEqual({ expected: { N: 0, B: 4, A: 2 }, deletes: { Z: 7 } });
  });
});
