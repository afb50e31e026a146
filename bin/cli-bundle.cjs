/* global require, module, __dirname */
/* eslint-disable @typescript-eslint/no-require-imports */
// The ttp CLI bundle (dist/cli/): built with esbuild by `npm ci` (prepare) and by bin/ttp whenever
// it is missing or a source it was built from is newer. Plain CommonJS: it runs before any loader.
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const OUT = path.join(ROOT, "dist", "cli");
const MANIFEST = path.join(OUT, "manifest.json");
const FORMAT = 1;

// Native addons (and pg's optional one) stay in node_modules; the OpenTelemetry SDK is loaded from
// node_modules only when an OTEL_* variable asks for it, so the bundle carries none of it.
const EXTERNAL = ["better-sqlite3", "re2", "@node-rs/argon2", "pg-native", "@opentelemetry/sdk-node", "@opentelemetry/exporter-trace-otlp-http"];
// Besides the CLI, every worker_threads entry is an entry point of its own next to it.
const MAIN = { ttp: "bin/ttp.ts" };
const THREADS = { "eval-thread": "lib/worker/eval-thread.ts" };
// Inputs that change the bundle without being one of its sources.
const ALSO = ["package-lock.json", "bin/cli-bundle.cjs", "tsconfig.json"];

/** Why the bundle must be (re)built, or null when it is current. A few hundred stat calls. */
function staleReason() {
  let manifest;
  let builtAt;
  try {
    builtAt = fs.statSync(MANIFEST).mtimeMs;
    manifest = JSON.parse(fs.readFileSync(MANIFEST, "utf8"));
  } catch {
    return "no CLI bundle yet";
  }
  if (manifest.format !== FORMAT || manifest.root !== ROOT) return "the bundle was built elsewhere";
  for (const rel of [...manifest.inputs, ...ALSO]) {
    let m;
    try {
      m = fs.statSync(path.join(ROOT, rel)).mtimeMs;
    } catch {
      return `${rel} is gone`;
    }
    if (m > builtAt) return `${rel} changed`;
  }
  for (const name of ["ttp", ...Object.keys(manifest.threads)]) {
    if (!fs.existsSync(path.join(OUT, `${name}.js`))) return `dist/cli/${name}.js is missing`;
  }
  return null;
}

const WORKER_URL = /new URL\(\s*["']\.\/([\w-]+)\.ts["']\s*,\s*import\.meta\.url\s*\)/g;

/**
 * import.meta.url in a CommonJS bundle: a module that starts a thread with
 * `new Worker(new URL("./x-thread.ts", import.meta.url))` gets the bundle's own URL and the thread's
 * bundled entry (x-thread.js beside it, which the build adds); any other module gets its source
 * file's URL, computed from the bundle's location (db/ finds its migrations from any directory).
 */
function importMetaPlugin(threads) {
  return {
    name: "ttp-import-meta",
    setup(build) {
      // pg probes for Cloudflare Workers at require time by constructing a fetch Response, which
      // loads undici: ~50 ms of every start-up. The CLI only ever runs on Node.js.
      build.onLoad({ filter: /[\\/]pg[\\/]lib[\\/]stream\.js$/ }, (args) => {
        const text = fs.readFileSync(args.path, "utf8");
        return { contents: text.replace("if (isCloudflareRuntime()) {", "if (false) {"), loader: "js" };
      });
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
        let text = fs.readFileSync(args.path, "utf8");
        if (!text.includes("import.meta.url")) return undefined;
        const starts = [...text.matchAll(WORKER_URL)].map((m) => m[1]);
        if (starts.length > 0) {
          for (const name of starts) threads.set(name, path.relative(ROOT, path.join(path.dirname(args.path), `${name}.ts`)));
          text = text.replace(WORKER_URL, (_m, name) => `new URL("./${name}.js", __ttpBundleUrl)`).replaceAll("import.meta.url", "__ttpBundleUrl");
        } else {
          const rel = path.relative(OUT, args.path).split(path.sep).join("/");
          text = text.replaceAll("import.meta.url", `__ttpSourceUrl(${JSON.stringify(rel)})`);
        }
        return { contents: text, loader: "ts" };
      });
    },
  };
}

const BANNER = [
  'var __ttpBundleUrl = require("node:url").pathToFileURL(__filename).href;',
  'var __ttpSourceUrl = (rel) => require("node:url").pathToFileURL(require("node:path").join(__dirname, rel)).href;',
].join("\n");

function options(entryPoints, plugin, buildId) {
  return {
    absWorkingDir: ROOT,
    entryPoints,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    outdir: OUT,
    write: false,
    metafile: true,
    external: EXTERNAL,
    banner: { js: BANNER },
    // A new id per build: what the CLI caches from its own work (bin/rules-cache.ts) is keyed by it.
    define: { __TTP_BUILD_ID__: JSON.stringify(buildId) },
    plugins: [plugin],
    legalComments: "none",
    // import() of an external becomes require(): the bundle runs as a vm.Script (see runMain), which has no ESM loader.
    supported: { "dynamic-import": false },
    logLevel: "silent",
    // tsconfig's "jsx"/"paths" do not matter here; its target must not downlevel the bundle.
    tsconfigRaw: { compilerOptions: { target: "ES2022", useDefineForClassFields: true } },
  };
}

/** Writes a file by renaming a temporary one over it, so a concurrent reader never sees half of it. */
function writeAtomic(file, contents) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, contents);
  fs.renameSync(tmp, file);
}

/**
 * Builds dist/cli/ (ttp.js and one file per thread entry) with esbuild. Concurrent builds are safe:
 * every file is replaced atomically and the manifest, written last, dates the sources it saw.
 */
function buildBundle() {
  const esbuild = require("esbuild");
  const startedAt = Date.now();
  const threads = new Map(Object.entries(THREADS));
  const plugin = importMetaPlugin(threads);
  // buildSync cannot run plugins: the build is async and bin/ttp waits for it.
  return (async () => {
    const buildId = require("node:crypto").randomUUID();
    const first = await esbuild.build(options(MAIN, plugin, buildId));
    const second = await esbuild.build(options(Object.fromEntries(threads), plugin, buildId));
    fs.mkdirSync(OUT, { recursive: true });
    const inputs = new Set();
    for (const r of [first, second]) {
      for (const f of r.outputFiles) writeAtomic(f.path, f.contents);
      for (const i of Object.keys(r.metafile.inputs)) if (!i.startsWith("node_modules/") && !i.includes(":")) inputs.add(i);
    }
    const manifest = { format: FORMAT, root: ROOT, esbuild: esbuild.version, threads: Object.fromEntries(threads), inputs: [...inputs].sort() };
    writeAtomic(MANIFEST, `${JSON.stringify(manifest, null, 1)}\n`);
    // Date the bundle from when the build read its sources: a source saved during the build is newer.
    const at = new Date(startedAt);
    fs.utimesSync(MANIFEST, at, at);
    return { ms: Date.now() - startedAt, inputs: inputs.size };
  })();
}

const LOCK = path.join(ROOT, "dist", ".cli-build.lock");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Builds unless the bundle is current (`force`: always). One builder at a time per checkout: the
 * others wait for its lock (a lock older than 2 minutes is a crashed builder's and is taken over)
 * and build only if the bundle is still stale. Resolves null when nothing had to be built.
 */
async function ensureBundle({ force = false, onBuild = () => undefined } = {}) {
  fs.mkdirSync(path.dirname(LOCK), { recursive: true });
  for (;;) {
    const why = force ? "requested" : staleReason();
    if (why === null) return null;
    let fd;
    try {
      fd = fs.openSync(LOCK, "wx");
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
      let age = 0;
      try {
        age = Date.now() - fs.statSync(LOCK).mtimeMs;
      } catch {
        continue;
      }
      if (age > 120_000) fs.rmSync(LOCK, { force: true });
      else await sleep(50);
      continue;
    }
    try {
      onBuild(why);
      return { why, ...(await buildBundle()) };
    } finally {
      fs.closeSync(fd);
      fs.rmSync(LOCK, { force: true });
    }
  }
}

/**
 * Runs the bundle as the main CommonJS module with V8's code cache (Node 20 has no
 * module.enableCompileCache): the first run after a build saves the compiled code beside the
 * bundle, later runs skip most of the parse and compile of its 2 MB. Any cache problem falls back
 * to a plain require.
 */
function runMain(file) {
  const Module = require("node:module");
  const vm = require("node:vm");
  const cacheFile = `${file}.v8cache`;
  let source;
  let cached;
  try {
    source = fs.readFileSync(file, "utf8");
    cached = fs.existsSync(cacheFile) && fs.statSync(cacheFile).mtimeMs >= fs.statSync(file).mtimeMs ? fs.readFileSync(cacheFile) : undefined;
  } catch {
    return require(file);
  }
  const script = new vm.Script(Module.wrap(source), {
    filename: file,
    cachedData: cached,
  });
  const mod = new Module(file, null);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  mod.loaded = false;
  process.mainModule = mod;
  require.main = mod;
  const fn = script.runInThisContext();
  const req = (id) => mod.require(id);
  req.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  req.main = mod;
  req.cache = Module._cache;
  Module._cache[file] = mod;
  if (cached === undefined || script.cachedDataRejected) {
    // After the first turn of the event loop: the functions run at start-up are compiled by then.
    setImmediate(() => {
      try {
        // Evaluation threads of one process write it too: the temporary name is per thread.
        const tmp = `${cacheFile}.${process.pid}.${require("node:worker_threads").threadId}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        // A read-only checkout: no cache, the next run compiles again.
      }
    }).unref();
  }
  fn.call(mod.exports, mod.exports, req, mod, file, path.dirname(file));
  mod.loaded = true;
  return mod.exports;
}

module.exports = { ROOT, OUT, MANIFEST, staleReason, buildBundle, ensureBundle, runMain, main: path.join(OUT, "ttp.js") };
