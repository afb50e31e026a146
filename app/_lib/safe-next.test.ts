import { describe, expect, it } from "vitest";
import { safeNext } from "./safe-next";

describe("safeNext", () => {
  it("keeps same-site paths and refuses everything that could leave the site", () => {
    expect(safeNext("/rules/R1001?x=1")).toBe("/rules/R1001?x=1");
    for (const bad of ["//evil.example", "/\\evil.example", "https://evil.example", "javascript:alert(1)", "", null, undefined, "/\tfoo", "rules"]) {
      expect(safeNext(bad)).toBe("/rules");
    }
  });
});
