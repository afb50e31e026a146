import { parseOptions } from "@node-rs/argon2";
import { describe, expect, it } from "vitest";
import { DUMMY_PASSWORD_HASH, hashPassword, passwordProblem, usernameProblem, verifyPasswordHash } from "./password";

describe("password hashing", () => {
  it("hashes with argon2id m=19456 t=2 p=1 and a fresh salt, and verifies", async () => {
    const a = await hashPassword("correct horse battery");
    const b = await hashPassword("correct horse battery");
    expect(a).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPasswordHash(a, "correct horse battery")).toBe(true);
    expect(await verifyPasswordHash(a, "correct horse batterY")).toBe(false);
  });

  it("the dummy hash an unknown user is checked against costs the same as a real one", async () => {
    expect(parseOptions(DUMMY_PASSWORD_HASH)).toEqual(parseOptions(await hashPassword("whatever password")));
  });

  it("a malformed stored hash throws instead of passing as a wrong password", async () => {
    await expect(verifyPasswordHash("not-a-hash", "whatever password")).rejects.toThrow();
  });

  it("policy: passwords of 10–256 characters (code points), usernames of 1–64 of [A-Za-z0-9_.@-]", () => {
    expect(passwordProblem("123456789")).toMatch(/at least 10/);
    expect(passwordProblem("1234567890")).toBeNull();
    expect(passwordProblem("🔑".repeat(9))).toMatch(/at least 10/);
    expect(passwordProblem("🔑".repeat(256))).toBeNull();
    expect(passwordProblem("x".repeat(257))).toMatch(/at most 256/);
    expect(usernameProblem("ana.lyst@soc-1_x")).toBeNull();
    expect(usernameProblem("")).toMatch(/empty/);
    expect(usernameProblem("x".repeat(65))).toMatch(/at most 64/);
    for (const bad of ["a b", "ä", "a/b", "a:b", "a\n"]) expect(usernameProblem(bad)).toMatch(/only letters/);
  });
});
