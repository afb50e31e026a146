import { describe, expect, it } from "vitest";
import { parseRule } from "../../lib/rules/parse-rule";
import { newRuleTemplate, nextFreeRuleId } from "./rule-template";

describe("new rule template", () => {
  it("is a valid rule as is, its tests included, without warnings", () => {
    const { rule, issues } = parseRule(newRuleTemplate("R0065"), { source: "R0065", expectedRuleId: "R0065" });
    expect(issues).toEqual([]);
    expect(rule?.ruleId).toBe("R0065");
    expect(rule?.tests).toHaveLength(2);
  });

  it("suggests the id after the highest R####, skipping taken ones", () => {
    expect(nextFreeRuleId([])).toBe("R0001");
    expect(nextFreeRuleId(["R0001", "R0064", "custom_rule"])).toBe("R0065");
    expect(nextFreeRuleId(["R9999", "R0001"])).toBe("R0002");
  });
});
