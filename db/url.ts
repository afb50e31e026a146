/** Where a database lives, parsed from a `DATABASE_URL`-style string. */
export type DatabaseTarget =
  | { dialect: "sqlite"; memory: true; path: null }
  | { dialect: "sqlite"; memory: false; path: string }
  | { dialect: "postgres"; connectionString: string };

export const ACCEPTED_URL_FORMS =
  "file:./data/ttp.db, a plain file path, :memory: / file::memory: (in-memory SQLite), postgres://… or postgresql://…";

/** Parses a database URL; throws an Error naming the accepted forms for anything else. */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  const u = url.trim();
  if (u === "") throw new Error(`empty database URL; accepted forms: ${ACCEPTED_URL_FORMS}`);
  if (u === ":memory:" || u === "file::memory:" || u.startsWith("file::memory:?")) {
    return { dialect: "sqlite", memory: true, path: null };
  }
  if (/^postgres(ql)?:\/\//i.test(u)) return { dialect: "postgres", connectionString: u };
  if (/^file:/i.test(u)) {
    let rest = u.slice("file:".length);
    // file:///abs/path and file://localhost/abs/path are absolute; file:./rel and file:rel are relative.
    if (rest.startsWith("//")) {
      rest = rest.slice(2);
      const slash = rest.indexOf("/");
      const host = slash < 0 ? rest : rest.slice(0, slash);
      if (host !== "" && host !== "localhost") {
        throw new Error(`unsupported file URL host "${host}" in "${url}"; accepted forms: ${ACCEPTED_URL_FORMS}`);
      }
      rest = slash < 0 ? "" : rest.slice(slash);
    }
    if (rest === "") throw new Error(`file URL without a path: "${url}"; accepted forms: ${ACCEPTED_URL_FORMS}`);
    return { dialect: "sqlite", memory: false, path: decodeURIComponent(rest) };
  }
  // Anything that looks like `scheme:` (but not a Windows drive letter) is an unknown scheme.
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(u);
  if (scheme) {
    throw new Error(`unsupported database URL scheme "${scheme[1]}:"; accepted forms: ${ACCEPTED_URL_FORMS}`);
  }
  return { dialect: "sqlite", memory: false, path: u };
}

/** The URL with any password replaced, safe for logs and error messages. */
export function redactDatabaseUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]+:)[^@]*@/i, "$1***@");
}
