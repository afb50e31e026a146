import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

/** What the production build is made of (the dashboard imports lib/ and db/ too). */
const SOURCES = ["app", "lib", "db", "proxy.ts", "next.config.mjs", "package-lock.json", "tsconfig.json"];

function newestMtime(p: string): number {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(p, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(path.join(p, entry.name)));
  }
  return newest;
}

/**
 * Why `npm start` must build before serving: no build yet, or a source changed after the build
 * (e.g. after a `git pull`); null when the build in `distDir` is current.
 */
export function buildNeeded(root: string, distDir = ".next"): string | null {
  const buildId = path.join(root, distDir, "BUILD_ID");
  if (!existsSync(buildId)) return "no production build yet";
  const builtAt = statSync(buildId).mtimeMs;
  for (const s of SOURCES) {
    if (newestMtime(path.join(root, s)) > builtAt) return `${s} changed since the last build`;
  }
  return null;
}
