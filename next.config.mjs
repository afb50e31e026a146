/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ["better-sqlite3", "re2", "pg", "@node-rs/argon2", "chokidar"],
  poweredByHeader: false,
  // Lets a test or benchmark build into its own folder without disturbing the served build.
  ...(process.env.NEXT_DIST_DIR ? { distDir: process.env.NEXT_DIST_DIR } : {}),
  // `npm test` type-checks the whole project (tsc --noEmit) before anything is built.
  typescript: { ignoreBuildErrors: true },
  // The rule-pack import posts a zip of up to 10 MiB to a server action (default limit 1 MB).
  experimental: { serverActions: { bodySizeLimit: "11mb" } },
};

export default nextConfig;
