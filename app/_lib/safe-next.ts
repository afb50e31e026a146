/** Where to go after sign-in: only same-site paths (`/rules?x` yes; `//evil.example`, `/\evil`, `https://…` no). */
export function safeNext(next: string | null | undefined): string {
  return next && /^\/(?![/\\])/.test(next) && !/[\u0000-\u001f]/.test(next) ? next : "/rules";
}
