import { describe, expect, it } from "vitest";
import { diffRuleText } from "./rule-diff";

const lines = (n: number, f = (i: number) => `line ${i}`) => Array.from({ length: n }, (_, i) => f(i + 1)).join("\n") + "\n";

describe("diffRuleText", () => {
  it("identical texts have no hunks", () => {
    expect(diffRuleText("a\n", "a\n")).toEqual({ identical: true, added: 0, removed: 0, hunks: [], skippedAfter: 0, truncated: false });
  });

  it("a changed line: removed then added, with both line numbers and 3 lines of context", () => {
    const d = diffRuleText(lines(20), lines(20, (i) => (i === 10 ? "changed" : `line ${i}`)));
    expect(d).toMatchObject({ identical: false, added: 1, removed: 1, skippedAfter: 7, truncated: false });
    expect(d.hunks).toHaveLength(1);
    expect(d.hunks[0]?.skippedBefore).toBe(6);
    expect(d.hunks[0]?.rows).toEqual([
      { type: "context", oldLine: 7, newLine: 7, text: "line 7" },
      { type: "context", oldLine: 8, newLine: 8, text: "line 8" },
      { type: "context", oldLine: 9, newLine: 9, text: "line 9" },
      { type: "removed", oldLine: 10, newLine: null, text: "line 10" },
      { type: "added", oldLine: null, newLine: 10, text: "changed" },
      { type: "context", oldLine: 11, newLine: 11, text: "line 11" },
      { type: "context", oldLine: 12, newLine: 12, text: "line 12" },
      { type: "context", oldLine: 13, newLine: 13, text: "line 13" },
    ]);
  });

  it("changes far apart make separate hunks; line numbers shift after an insertion", () => {
    const old = lines(30);
    const next = old.replace("line 2\n", "line 2\ninserted\n").replace("line 25\n", "");
    const d = diffRuleText(old, next, { context: 1 });
    expect(d.added).toBe(1);
    expect(d.removed).toBe(1);
    expect(d.hunks.map((h) => [h.skippedBefore, h.rows.map((r) => `${r.type[0]}${r.oldLine ?? "-"}/${r.newLine ?? "-"}`).join(" ")])).toEqual([
      [1, "c2/2 a-/3 c3/4"],
      [20, "c24/25 r25/- c26/26"],
    ]);
    expect(d.skippedAfter).toBe(4);
  });
});
