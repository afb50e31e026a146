"use server";
import { cookies } from "next/headers";
import { ValidationError } from "../../lib/errors";
import { parseTheme, THEME_COOKIE, THEMES } from "../_lib/theme";
import { getServices } from "../_server/services";
import { cookieSecure } from "../_server/session";

// Public like sign-in (the sign-in page has the toggle too): it only sets the caller's own
// display preference. Without JavaScript the form posts and the page renders again with it.
export async function setThemeAction(form: FormData): Promise<void> {
  const raw = form.get("theme");
  const theme = parseTheme(raw);
  if (theme === null) {
    throw new ValidationError(
      [{ source: "", path: ["theme"], line: 0, column: 0, severity: "error", message: `theme must be one of ${THEMES.join(", ")} (got ${JSON.stringify(typeof raw === "string" ? raw.slice(0, 20) : raw)}).` }],
    );
  }
  const { env } = await getServices();
  (await cookies()).set(THEME_COOKIE, theme, { httpOnly: true, sameSite: "lax", secure: await cookieSecure(env.TTP_COOKIE_SECURE), path: "/", maxAge: 365 * 86_400 });
}
