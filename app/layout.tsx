import { connection } from "next/server";
import type { ReactNode } from "react";
import "./globals.css";

export const metadata = { title: "TTP Rule Console" };

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Every page renders per request: Next.js can only put proxy.ts's per-request CSP nonce on
  // its scripts while rendering (a prerendered page's inline scripts would be refused).
  await connection();
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
