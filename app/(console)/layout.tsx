import Link from "next/link";
import type { ReactNode } from "react";
import { logoutAction } from "../_actions/auth";
import { QueryProvider } from "../_components/data/query-provider";
import { requireUser } from "../_server/session";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await requireUser();
  return (
    <>
      <header className="topbar">
        <strong>TTP Rule Console</strong>
        <nav aria-label="Main">
          <Link href="/rules">Rules</Link>
          <Link href="/expiring">Expiring</Link>
          <Link href="/activity">Activity</Link>
          <Link href="/workers">Workers</Link>
          {user.role === "admin" && <Link href="/users">Users</Link>}
        </nav>
        <Link href="/account" className="who" title="Account: change your password">
          {user.username} <span className="muted">({user.role})</span>
        </Link>
        <form action={logoutAction}>
          <button type="submit">Sign out</button>
        </form>
      </header>
      <main className="content">
        <QueryProvider>{children}</QueryProvider>
      </main>
    </>
  );
}
