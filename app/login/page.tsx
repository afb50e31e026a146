import { redirect } from "next/navigation";
import { safeNext } from "../_lib/safe-next";
import { getCurrentUser } from "../_server/session";
import { LoginForm } from "./login-form";

export const metadata = { title: "Sign in · TTP Rule Console" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const next = typeof sp.next === "string" ? sp.next : "/rules";
  if (await getCurrentUser()) redirect(safeNext(next));
  return (
    <main className="login">
      <h1>TTP Rule Console</h1>
      <LoginForm next={next} />
    </main>
  );
}
