/** What global setup hands to the spec workers (through the environment they inherit). */
export const ENV_BASE_URL = "TTP_E2E_BASE_URL";
export const ENV_DATABASE_URL = "TTP_E2E_DATABASE_URL";

export interface RunEnv {
  baseURL: string;
  databaseUrl: string;
}

export function runEnv(): RunEnv {
  const baseURL = process.env[ENV_BASE_URL];
  const databaseUrl = process.env[ENV_DATABASE_URL];
  if (!baseURL || !databaseUrl) throw new Error(`${ENV_BASE_URL}/${ENV_DATABASE_URL} are unset: run the specs through e2e/playwright.config.ts (its global setup starts the server)`);
  return { baseURL, databaseUrl };
}
