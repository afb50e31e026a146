import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// Every server action is a public endpoint: its first statement must check the session's role.
// setThemeAction only sets the caller's own display-preference cookie (the sign-in page offers it too).
const PUBLIC_ACTIONS = new Set(["loginAction", "logoutAction", "setThemeAction"]);
const DIR = __dirname;

function actionsIn(file: string): { name: string; head: string }[] {
  const text = readFileSync(path.join(DIR, file), "utf8");
  const out: { name: string; head: string }[] = [];
  const re = /^export async function (\w+)\([^]*?\{\n([^]*?)\n/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ name: m[1] as string, head: m[2] as string });
  return out;
}

describe("server actions", () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));

  it("are all in 'use server' modules", () => {
    for (const f of files) expect(readFileSync(path.join(DIR, f), "utf8").startsWith('"use server";'), f).toBe(true);
  });

  it("check the caller's role first (authorize) unless they are the sign-in/out actions", () => {
    const actions = files.flatMap((f) => actionsIn(f).map((a) => ({ ...a, file: f })));
    expect(actions.length).toBeGreaterThan(10);
    for (const a of actions) {
      if (PUBLIC_ACTIONS.has(a.name)) continue;
      expect(a.head, `${a.file}: ${a.name} must start with authorize(...)`).toMatch(/^\s*const who = await authorize\("(viewer|admin)"\);/);
    }
  });

  it("that change something require the admin role", () => {
    const readOnly = /^(validate|list|compare|test)/;
    // Self-service: what a user may change of their own account (it asks for the current password).
    const selfService = new Set(["changeOwnPasswordAction"]);
    for (const f of files) {
      for (const a of actionsIn(f)) {
        if (PUBLIC_ACTIONS.has(a.name) || readOnly.test(a.name) || selfService.has(a.name)) continue;
        expect(a.head, `${f}: ${a.name}`).toContain('authorize("admin")');
      }
    }
  });
});
