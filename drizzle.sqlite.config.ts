import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes the SQLite migrations; they are applied at open and by `ttp db migrate`.
export default defineConfig({
  dialect: "sqlite",
  schema: "./db/schema/sqlite.ts",
  out: "./db/migrations/sqlite",
});
