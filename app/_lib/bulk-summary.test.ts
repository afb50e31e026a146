import { describe, expect, it } from "vitest";
import { bulkSummary } from "./bulk-summary";

describe("bulkSummary", () => {
  it("counts successes and names failures", () => {
    expect(bulkSummary("disabled", 3, 0, [])).toBe("3 disabled");
    expect(bulkSummary("disabled", 3, 0, [{ ruleId: "R1009", message: "R1009 not found" }])).toBe("3 disabled, 1 failed: R1009 not found");
    expect(bulkSummary("enabled", 1, 2, [])).toBe("1 enabled, 2 already enabled");
  });

  it("names the first three failures and counts the rest", () => {
    const failed = ["A", "B", "C", "D", "E"].map((id) => ({ ruleId: id, message: `${id} not found` }));
    expect(bulkSummary("clipped", 0, 0, failed)).toBe("0 clipped, 5 failed: A not found; B not found; C not found; and 2 more");
  });
});
