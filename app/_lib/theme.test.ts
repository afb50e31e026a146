import { describe, expect, it } from "vitest";
import { parseTheme, THEMES } from "./theme";

describe("parseTheme", () => {
  it("accepts the three choices", () => {
    for (const t of THEMES) expect(parseTheme(t)).toBe(t);
  });
  it("refuses anything else (a forged cookie or form value)", () => {
    for (const v of ["", "Dark", "dark ", "auto", "system;", null, undefined, 1, ["dark"]]) expect(parseTheme(v)).toBeNull();
  });
});
