/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ["better-sqlite3", "re2", "pg", "@node-rs/argon2", "chokidar", "@opentelemetry/sdk-node", "@opentelemetry/exporter-trace-otlp-http"],
  poweredByHeader: false,
  // Lets a test or benchmark build into its own folder without disturbing the served build.
  ...(process.env.NEXT_DIST_DIR ? { distDir: process.env.NEXT_DIST_DIR } : {}),
  // `npm test` type-checks the whole project (tsc --noEmit) before anything is built.
  typescript: { ignoreBuildErrors: true },
  // No serverActions.bodySizeLimit: every action keeps Next's 1 MB. The rule-pack upload goes to
  // POST /api/rules/import, which enforces its own 11 MiB limit while it reads the body
  // (MAX_IMPORT_REQUEST_BYTES). proxy.ts sees every request, and Next hands a route only the first
  // proxyClientMaxBodySize bytes of a body the proxy saw (silently cut, default 10 MB): set just
  // above the route's limit, so the route sees an oversized body as such and answers 413.
  experimental: { proxyClientMaxBodySize: 12 * 1024 * 1024 },
};

export default nextConfig;
