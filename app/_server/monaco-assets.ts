import "server-only";
import { readFileSync } from "node:fs";
import path from "node:path";
import { preload } from "react-dom";

// Monaco's AMD build loads in a waterfall (loader.js → editor.main → its modules → theirs → CSS →
// the YAML grammar), each step a round trip after the previous one ran. Preloading the whole set
// from the page's <head> fetches it in parallel with the app's own chunks; the loader's script
// tags then find the responses already there. The list is read from the installed package's
// AMD `define([...])` headers, so a version bump needs no edit here.
const VS = path.join(process.cwd(), "node_modules", "monaco-editor", "min", "vs");
const ENTRY = "vs/editor/editor.main";

let cached: { scripts: string[]; styles: string[] } | null = null;

function depsOf(moduleId: string): string[] {
  const src = readFileSync(path.join(VS, "..", `${moduleId}.js`), "utf8").slice(0, 4000);
  const m = /define\(\s*(?:"[^"]*"\s*,\s*)?\[([^\]]*)\]/.exec(src);
  if (!m) return [];
  const dir = path.posix.dirname(moduleId);
  const out: string[] = [];
  for (const raw of (m[1] ?? "").split(",")) {
    const dep = raw.trim().replace(/^"|"$/g, "").replace(/!.*$/, "");
    if (dep === "" || dep === "require" || dep === "exports" || dep === "module") continue;
    out.push(dep.startsWith(".") ? path.posix.normalize(path.posix.join(dir, dep)) : dep);
  }
  return out;
}

/** The YAML grammar the basic-languages contribution loads lazily (`id:"yaml" … loader: … ["../yaml-…"]`). */
function yamlGrammar(): string | null {
  const id = "vs/basic-languages/monaco.contribution";
  const src = readFileSync(path.join(VS, "..", `${id}.js`), "utf8");
  const m = /id:"yaml"[^}]*?\[\s*"([^"]+)"\s*\]/.exec(src);
  return m?.[1] ? path.posix.normalize(path.posix.join(path.posix.dirname(id), m[1])) : null;
}

/** URLs (under /monaco/) of every script and style the editor loads before it is usable. */
export function monacoAssets(): { scripts: string[]; styles: string[] } {
  if (cached) return cached;
  const seen = new Set<string>();
  const visit = (id: string): void => {
    if (seen.has(id)) return;
    seen.add(id);
    for (const dep of depsOf(id)) visit(dep);
  };
  visit(ENTRY);
  const grammar = yamlGrammar();
  if (grammar) visit(grammar);
  cached = { scripts: ["vs/loader", ...seen].map((id) => `/monaco/${id}.js`), styles: [`/monaco/${ENTRY}.css`] };
  return cached;
}

/** Emits <link rel="preload"> for Monaco into the page being rendered. A missing package only costs the hints. */
export function preloadMonaco(onError: (err: unknown) => void): void {
  let assets: { scripts: string[]; styles: string[] };
  try {
    assets = monacoAssets();
  } catch (err) {
    onError(err);
    return;
  }
  for (const href of assets.scripts) preload(href, { as: "script" });
  for (const href of assets.styles) preload(href, { as: "style" });
}
