import { cookies } from "next/headers";
import { setThemeAction } from "../_actions/theme";
import { parseTheme, THEME_COOKIE, THEME_LABELS, THEMES } from "../_lib/theme";

/** System / Light / Dark: a plain form posting to a server action, so it works without JavaScript. */
export async function ThemeToggle() {
  const current = parseTheme((await cookies()).get(THEME_COOKIE)?.value) ?? "system";
  return (
    <form action={setThemeAction}>
      <fieldset className="theme-toggle">
        <legend>Theme</legend>
        {THEMES.map((t) => (
          <button key={t} type="submit" name="theme" value={t} aria-pressed={t === current}>
            {THEME_LABELS[t]}
          </button>
        ))}
      </fieldset>
    </form>
  );
}
