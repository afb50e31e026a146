import { readFile, realpath, stat } from "node:fs/promises";
import path from "node:path";
import { getServices } from "../../../_server/services";

// Monaco's AMD build, served from the pinned package so the editor never touches a CDN (the
// dashboard runs on air-gapped networks). Public like any static asset: it is library code only.
const ROOT = path.join(process.cwd(), "node_modules", "monaco-editor", "min", "vs");
const TYPES: Record<string, string> = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8" };
// No leading dot: rules out ".", "..", dotfiles; no slashes or backslashes inside a segment.
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
// The ~17 files an editor page loads are ~5 MB: read once, kept in memory. (Compression is
// Next's: it re-encodes whatever a route handler returns, so pre-compressed bodies do not help.)
const CACHE_LIMIT_BYTES = 32 * 1024 * 1024;
const HEADERS = {
  // The version is pinned in package.json; a new version means a new deployment.
  "cache-control": "public, max-age=31536000, immutable",
  "x-content-type-options": "nosniff",
};

interface Entry {
  type: string;
  raw: Buffer;
}

let realRoot: Promise<string> | null = null;
const cache = new Map<string, Promise<Entry>>();
let cachedBytes = 0;

function notFound(): Response {
  return new Response("Not found\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", "x-content-type-options": "nosniff" } });
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR";
}

async function internalError(what: string, err: unknown): Promise<Response> {
  const { logger } = await getServices();
  logger.error(what, { error: err instanceof Error ? err.message : String(err) });
  return new Response("Internal error\n", { status: 500, headers: { "content-type": "text/plain; charset=utf-8" } });
}

/** The file behind an already checked path, or null when it is not a regular file inside the package (symlinks included). */
async function load(root: string, file: string, type: string): Promise<Entry | null> {
  const real = await realpath(file);
  if (!real.startsWith(root + path.sep) || !(await stat(real)).isFile()) return null;
  return { type, raw: await readFile(real) };
}

export async function GET(_request: Request, { params }: { params: Promise<{ path: string[] }> }): Promise<Response> {
  const segments = (await params).path;
  if (segments.length === 0 || segments.length > 6 || !segments.every((s) => SEGMENT.test(s))) return notFound();
  const type = TYPES[path.extname(segments[segments.length - 1] ?? "")];
  if (!type) return notFound();
  const file = path.resolve(ROOT, ...segments);
  if (!file.startsWith(ROOT + path.sep)) return notFound();

  let root: string;
  try {
    realRoot ??= realpath(ROOT);
    root = await realRoot;
  } catch (err) {
    realRoot = null;
    return internalError(`monaco-editor is not installed where expected (${ROOT})`, err);
  }
  let entry: Entry | null;
  try {
    const hit = cache.get(file);
    if (hit) entry = await hit;
    else {
      const p = load(root, file, type);
      entry = await p;
      if (entry && cachedBytes + entry.raw.length <= CACHE_LIMIT_BYTES && !cache.has(file)) {
        cache.set(file, p as Promise<Entry>);
        cachedBytes += entry.raw.length;
      }
    }
  } catch (err) {
    if (isMissing(err)) return notFound();
    return internalError(`serving monaco/vs/${segments.join("/")} failed`, err);
  }
  if (!entry) return notFound();
  return new Response(new Uint8Array(entry.raw), { headers: { ...HEADERS, "content-type": entry.type } });
}
