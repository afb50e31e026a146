import { cookies } from "next/headers";
import { connection } from "next/server";
import type { ReactNode } from "react";
import { parseTheme, THEME_COOKIE } from "./_lib/theme";
import "./globals.css";

export const metadata = { title: "TTP Rule Console" };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page renders per request: Next.js can only put proxy.ts's per-request CSP nonce on
  // its scripts while rendering (a prerendered page's inline scripts would be refused).
  await connection();
  // The theme is an attribute the stylesheet reads (globals.css), rendered by the server: no
  // script decides it in the browser, so there is no flash and nothing for the CSP to allow.
  const theme = parseTheme((await cookies()).get(THEME_COOKIE)?.value) ?? "system";
  return (
    <html lang="en" data-theme={theme}>
      <body>
        <a href="#main" className="skip-link">
          Skip to content
        </a>
        {children}
      </body>
    </html>
  );
}
