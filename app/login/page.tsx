import { redirect } from "next/navigation";
import { safeNext } from "../_lib/safe-next";
import { getCurrentUser } from "../_server/session";
import { ThemeToggle } from "../_components/theme-toggle";
import { LoginForm } from "./login-form";

export const metadata = { title: "Sign in · TTP Rule Console" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const next = typeof sp.next === "string" ? sp.next : "/rules";
  if (await getCurrentUser()) redirect(safeNext(next));
  return (
    <main id="main" tabIndex={-1} className="login">
      <div className="login-head">
        <h1>TTP Rule Console</h1>
        <ThemeToggle />
      </div>
      <LoginForm next={next} />
    </main>
  );
}
