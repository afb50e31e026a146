// The colour theme an operator picks (kept in a cookie, read by the root layout). Pure, so the
// layout, the server action, the toggle and the browser hook share one definition.

export const THEME_COOKIE = "ttp_theme";

/** "system" follows the browser's prefers-color-scheme; the others pin a theme. */
export const THEMES = ["system", "light", "dark"] as const;
export type Theme = (typeof THEMES)[number];

export const THEME_LABELS: Record<Theme, string> = { system: "System", light: "Light", dark: "Dark" };

/** The theme a cookie or form value names, or null when it names none. */
export function parseTheme(value: unknown): Theme | null {
  return typeof value === "string" && (THEMES as readonly string[]).includes(value) ? (value as Theme) : null;
}
