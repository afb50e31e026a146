import Link from "next/link";
import type { ReactNode } from "react";
import { logoutAction } from "../_actions/auth";
import { ConsoleNav } from "../_components/console-nav";
import { QueryProvider } from "../_components/data/query-provider";
import { ThemeToggle } from "../_components/theme-toggle";
import { requireUser } from "../_server/session";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  return (
    <>
      <header className="topbar">
        <strong>TTP Rule Console</strong>
        <ConsoleNav admin={user.role === "admin"} />
        <ThemeToggle />
        <Link href="/account" className="who" title="Account: change your password">
          {user.username} <span className="muted">({user.role})</span>
        </Link>
        <form action={logoutAction}>
          <button type="submit">Sign out</button>
        </form>
      </header>
      <main id="main" tabIndex={-1} className="content">
        <QueryProvider>{children}</QueryProvider>
      </main>
    </>
  );
}
