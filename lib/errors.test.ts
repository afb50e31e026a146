import { describe, expect, it, vi } from "vitest";

describe("typed errors across module instances", () => {
  it("instanceof and isTtpError hold when the module was loaded twice (bundler chunks), and tell the classes apart", async () => {
    vi.resetModules();
    const a = await import("./errors");
    vi.resetModules();
    const b = await import("./errors");
    expect(a.ValidationError).not.toBe(b.ValidationError);
    const v = new a.ValidationError([{ source: "R1", path: ["confidence"], line: 3, column: 5, message: "bad", severity: "error" }]);
    expect(v instanceof b.ValidationError).toBe(true);
    expect(v instanceof b.TtpError).toBe(true);
    expect(b.isTtpError(v)).toBe(true);
    expect(v instanceof b.ConflictError).toBe(false);
    expect(new a.TtpError("VALIDATION", "plain") instanceof b.ValidationError).toBe(false);
    expect(new a.NotFoundError("x") instanceof b.NotFoundError).toBe(true);
    expect(new Error("x") instanceof b.TtpError).toBe(false);
    expect(v.name).toBe("ValidationError");
  });
});
