/** Where to go after sign-in: only same-site paths (`/rules?x` yes; `//evil.example`, `/\evil`, `https://…` no). */
export function safeNext(next: string | null | undefined): string {
  if (!next || !/^\/(?![/\\])/.test(next)) return "/rules";
  for (let i = 0; i < next.length; i++) if (next.charCodeAt(i) < 0x20) return "/rules";
  return next;
}
