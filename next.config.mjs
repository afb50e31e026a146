/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ["better-sqlite3", "re2", "pg"],
  poweredByHeader: false,
};

export default nextConfig;
