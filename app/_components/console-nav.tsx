"use client";
import Link from "next/link";
import { usePathname } from "next/navigation";

const LINKS = [
  { href: "/rules", label: "Rules" },
  { href: "/expiring", label: "Expiring" },
  { href: "/activity", label: "Activity" },
  { href: "/workers", label: "Workers" },
  { href: "/users", label: "Users", admin: true },
] as const;

/** The console's main navigation; the link of the section on screen carries aria-current="page". */
export function ConsoleNav({ admin }: { admin: boolean }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Main">
      {LINKS.filter((l) => admin || !("admin" in l)).map((l) => {
        const current = pathname === l.href || pathname.startsWith(`${l.href}/`);
        return (
          <Link key={l.href} href={l.href} aria-current={current ? "page" : undefined}>
            {l.label}
          </Link>
        );
      })}
    </nav>
  );
}
