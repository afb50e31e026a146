import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The store library and the database layer are imported by workers and the CLI: they must
// never pull in Next.js or React (nor reach up into app/).
const FORBIDDEN_IN_LIB = {
  paths: [
    { name: "next", message: "lib/ and db/ are shared with workers and the CLI: no Next.js here." },
    { name: "react", message: "lib/ and db/ are shared with workers and the CLI: no React here." },
    { name: "react-dom", message: "lib/ and db/ are shared with workers and the CLI: no React here." },
    { name: "server-only", message: "lib/ and db/ run outside Next.js too." },
  ],
  patterns: [
    { group: ["next/*", "react/*", "react-dom/*", "@next/*"], message: "No Next.js/React in lib/ or db/." },
    { group: ["**/app/*", "@/app/*", "../app/*", "../../app/*"], message: "lib/ and db/ must not import app/." },
  ],
};

export default tseslint.config(
  { ignores: ["node_modules/**", "dist/**", ".next/**", ".next-*/**", "data/**", "coverage/**", "next-env.d.ts", "test-results/**", "playwright-report/**", "e2e/test-results/**", "e2e/logs/**", "bench/out/**", ".tmp-bench/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", setTimeout: "readonly", clearTimeout: "readonly", setInterval: "readonly", clearInterval: "readonly", Buffer: "readonly", URL: "readonly", AbortController: "readonly", AbortSignal: "readonly", performance: "readonly", queueMicrotask: "readonly", setImmediate: "readonly", TextEncoder: "readonly", TextDecoder: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-empty": ["error", { allowEmptyCatch: false }],
    },
  },
  {
    files: ["lib/**/*.ts", "db/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", FORBIDDEN_IN_LIB],
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "lib/ and db/ take configuration as arguments; parse the environment in bin/ or app/." }],
    },
  },
  {
    // Client components ship to the browser: state semantics come from lib/state/semantics (zod-free).
    files: ["app/_components/**/*.ts", "app/_components/**/*.tsx"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: [{ name: "zod", message: "Client components ship to the browser: validate in server actions.", allowTypeImports: true }],
          patterns: [{ group: ["**/lib/state/policy"], message: "Client components import lib/state/semantics (zod-free); the policy runs on the server.", allowTypeImports: true }],
        },
      ],
    },
  },
);
