/**
 * The client's address from X-Forwarded-For behind `trustedProxies` reverse proxies (0 = none:
 * null). Each proxy appends the address it was connected from, so the client's address is the
 * entry the outermost trusted proxy appended: the `trustedProxies`-th from the right. Entries to
 * its left were sent by the client and are never used; a `:port` is dropped. Null when the header
 * has fewer entries than that (a proxy did not append) or the entry is empty: the sign-in
 * throttle then counts per user name alone.
 */
export function clientAddress(forwardedFor: string | null | undefined, trustedProxies: number): string | null {
  if (!(trustedProxies > 0) || typeof forwardedFor !== "string") return null;
  // Several X-Forwarded-For header lines arrive joined with ", " (Fetch Headers#get).
  const entries = forwardedFor.split(",");
  if (entries.length < trustedProxies) return null;
  const entry = entries[entries.length - trustedProxies]?.trim() ?? "";
  // Some proxies append `address:port`; the port changes per connection and must not split the count.
  const address = /^\[([^\]]+)\](?::\d+)?$/.exec(entry)?.[1] ?? /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(entry)?.[1] ?? entry;
  return address === "" ? null : address;
}
