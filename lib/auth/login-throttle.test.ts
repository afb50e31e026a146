import { describe, expect, it } from "vitest";
import { LoginThrottle } from "./login-throttle";

const IP = "203.0.113.7";
const MINUTE = 60_000;

async function fail(t: LoginThrottle, username: string, ip: string | null, times: number): Promise<void> {
  for (let i = 0; i < times; i++) {
    expect(await t.check(username, ip)).toEqual({ allowed: true });
    await t.recordFailure(username, ip);
  }
}

describe("LoginThrottle", () => {
  it("five failures block the sixth attempt for the block duration", async () => {
    const t = new LoginThrottle();
    await fail(t, "ana", IP, 5);
    const d = await t.check("ana", IP);
    expect(d.allowed).toBe(false);
    const retry = (d as { retryAfterMs: number }).retryAfterMs;
    expect(retry).toBeGreaterThan(14 * MINUTE);
    expect(retry).toBeLessThanOrEqual(15 * MINUTE);
  });

  it("four failures leave the fifth attempt allowed", async () => {
    const t = new LoginThrottle();
    await fail(t, "ana", IP, 4);
    expect(await t.check("ana", IP)).toEqual({ allowed: true });
  });

  it("a success resets the username + IP counter", async () => {
    const t = new LoginThrottle();
    await fail(t, "ana", IP, 4);
    await t.recordSuccess("ana", IP);
    await fail(t, "ana", IP, 4);
    expect(await t.check("ana", IP)).toEqual({ allowed: true });
    await t.recordFailure("ana", IP);
    expect((await t.check("ana", IP)).allowed).toBe(false);
  });

  it("other usernames and other IPs are unaffected; the username is compared case-insensitively", async () => {
    const t = new LoginThrottle();
    await fail(t, "ana", IP, 3);
    await fail(t, "ANA", IP, 2);
    expect((await t.check("Ana", IP)).allowed).toBe(false);
    expect(await t.check("bob", IP)).toEqual({ allowed: true });
    expect(await t.check("ana", "198.51.100.1")).toEqual({ allowed: true });
  });

  it("without a known client address counts the username alone and never blocks everyone", async () => {
    const t = new LoginThrottle({ maxPerIp: 6 });
    await fail(t, "ana", null, 5);
    expect((await t.check("ana", null)).allowed).toBe(false);
    // Other accounts keep working: there is no shared "unknown address" bucket.
    for (const name of ["b", "c", "d"]) await fail(t, name, null, 2);
    expect(await t.check("someone-else", null)).toEqual({ allowed: true });
  });

  it("blocks an IP after maxPerIp failures across usernames, until its window ends", async () => {
    const t = new LoginThrottle({ maxPerIp: 6 });
    for (const name of ["a", "b", "c"]) await fail(t, name, IP, 2);
    const d = await t.check("someone-new", IP);
    expect(d.allowed).toBe(false);
    expect((d as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(59 * MINUTE);
    await t.recordSuccess("someone-new", IP);
    expect((await t.check("someone-new", IP)).allowed).toBe(false);
    expect(await t.check("someone-new", "198.51.100.1")).toEqual({ allowed: true });
  });

  it("a block lapses after blockMs", async () => {
    const t = new LoginThrottle({ maxFailures: 2, blockMs: 100 });
    await fail(t, "ana", IP, 2);
    expect((await t.check("ana", IP)).allowed).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    expect(await t.check("ana", IP)).toEqual({ allowed: true });
  });

  it("rejects nonsensical options", () => {
    expect(() => new LoginThrottle({ maxFailures: 0 })).toThrow(/maxFailures/);
    expect(() => new LoginThrottle({ windowMs: Number.NaN })).toThrow(/windowMs/);
  });
});
