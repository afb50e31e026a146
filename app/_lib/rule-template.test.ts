import { describe, expect, it } from "vitest";
import { parseRule } from "../../lib/rules/parse-rule";
import { newRuleTemplate, nextFreeRuleId } from "./rule-template";

describe("new rule template", () => {
  it("is a valid rule as is, its tests included, without warnings", () => {
    const { rule, issues } = parseRule(newRuleTemplate("R1077"), { source: "R1077", expectedRuleId: "R1077" });
    expect(issues).toEqual([]);
    expect(rule?.ruleId).toBe("R1077");
    expect(rule?.tests).toHaveLength(2);
  });

  it("suggests the id after the highest R#### of our range (R1001+), skipping taken ones", () => {
    expect(nextFreeRuleId([])).toBe("R1001");
    expect(nextFreeRuleId(["R1001", "R1076", "custom_rule"])).toBe("R1077");
    expect(nextFreeRuleId(["R1001", "R1003"])).toBe("R1004");
    expect(nextFreeRuleId(["R9999", "R1001"])).toBe("R1002");
  });

  it("ignores DECNET-range ids R0001–R0999 (an imported DECNET pack next to ours)", () => {
    expect(nextFreeRuleId(["R0001", "R0059"])).toBe("R1001");
    expect(nextFreeRuleId(["R0001", "R0999", "R1001", "R1076"])).toBe("R1077");
    expect(nextFreeRuleId(["R0500", "R9999"])).toBe("R1001");
  });
});
