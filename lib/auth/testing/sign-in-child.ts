// Child process for the cross-process throttle test: opens its own auth store and throttle on the
// database at <url>, prints "ready", waits for a line on stdin (the parent releases every child at
// once), fires <n> concurrent sign-ins with a wrong
// password for <username> through verifyPasswordThrottled, and prints what happened as JSON.
import { openAuthStore } from "../auth-store";
import { openLoginThrottle } from "../login-throttle";
import { verifyPasswordThrottled } from "../sign-in";

async function main(): Promise<void> {
  const [url, username, nText] = process.argv.slice(2);
  if (!url || !username || !nText) throw new Error("usage: sign-in-child <url> <username> <n>");
  const auth = await openAuthStore(url);
  const throttle = await openLoginThrottle(url);
  try {
    let verified = 0;
    const counting = { verifyPassword: (u: string, p: string) => (verified++, auth.verifyPassword(u, p)) };
    process.stdout.write("ready\n");
    await new Promise<void>((resolve) => process.stdin.once("data", () => resolve()));
    process.stdin.pause();
    const results = await Promise.all(
      Array.from({ length: Number(nText) }, (_, i) => verifyPasswordThrottled({ auth: counting, throttle }, { username, password: `wrong-${process.pid}-${i}`, ip: null })),
    );
    const throttled = results.filter((r) => !r.ok && r.reason === "throttled").length;
    process.stdout.write(`${JSON.stringify({ verified, throttled, attempts: results.length })}\n`);
  } finally {
    await throttle.close();
    await auth.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
