import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildNeeded } from "./build-freshness";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), "ttp-build-"));
  dirs.push(root);
  mkdirSync(path.join(root, "app/(console)/rules"), { recursive: true });
  writeFileSync(path.join(root, "app/(console)/rules/page.tsx"), "x");
  mkdirSync(path.join(root, "lib"), { recursive: true });
  writeFileSync(path.join(root, "lib/a.ts"), "x");
  return root;
}

function touch(file: string, secondsAgo: number): void {
  const t = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(file, t, t);
}

describe("buildNeeded", () => {
  it("asks for a build when there is none, or when a source is newer than it", () => {
    const root = project();
    expect(buildNeeded(root)).toBe("no production build yet");
    mkdirSync(path.join(root, ".next"));
    writeFileSync(path.join(root, ".next/BUILD_ID"), "abc");
    for (const f of ["app/(console)/rules/page.tsx", "app/(console)/rules", "app/(console)", "app", "lib/a.ts", "lib"]) touch(path.join(root, f), 60);
    expect(buildNeeded(root)).toBeNull();
    touch(path.join(root, "app/(console)/rules/page.tsx"), 0);
    expect(buildNeeded(root)).toBe("app changed since the last build");
  });
});
