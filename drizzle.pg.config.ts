import { defineConfig } from "drizzle-kit";

// `npm run db:generate` writes the PostgreSQL migrations; they are applied at open and by `ttp db migrate`.
export default defineConfig({
  dialect: "postgresql",
  schema: "./db/schema/pg.ts",
  out: "./db/migrations/pg",
});
