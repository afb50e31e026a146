import type { ReactNode } from "react";

export const metadata = { title: "TTP Rule Console" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", margin: "2rem" }}>{children}</body>
    </html>
  );
}
