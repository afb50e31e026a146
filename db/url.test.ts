import { describe, expect, it } from "vitest";
import { parseDatabaseUrl, redactDatabaseUrl } from "./url";

describe("parseDatabaseUrl", () => {
  it("maps the accepted forms", () => {
    expect(parseDatabaseUrl("file:./data/ttp.db")).toEqual({ dialect: "sqlite", memory: false, path: "./data/ttp.db" });
    expect(parseDatabaseUrl("file:///var/lib/ttp/ttp.db")).toEqual({ dialect: "sqlite", memory: false, path: "/var/lib/ttp/ttp.db" });
    expect(parseDatabaseUrl("./data/x.db")).toEqual({ dialect: "sqlite", memory: false, path: "./data/x.db" });
    expect(parseDatabaseUrl("/abs/x.db")).toEqual({ dialect: "sqlite", memory: false, path: "/abs/x.db" });
    expect(parseDatabaseUrl(":memory:")).toEqual({ dialect: "sqlite", memory: true, path: null });
    expect(parseDatabaseUrl("file::memory:")).toEqual({ dialect: "sqlite", memory: true, path: null });
    expect(parseDatabaseUrl("postgres://u@h:5432/db")).toEqual({ dialect: "postgres", connectionString: "postgres://u@h:5432/db" });
    expect(parseDatabaseUrl("postgresql://u@h/db")).toEqual({ dialect: "postgres", connectionString: "postgresql://u@h/db" });
  });

  it("rejects unknown schemes with a message naming the accepted forms", () => {
    expect(() => parseDatabaseUrl("mysql://u@h/db")).toThrow(/unsupported database URL scheme "mysql:".*postgres:\/\//);
    expect(() => parseDatabaseUrl("")).toThrow(/accepted forms/);
    expect(() => parseDatabaseUrl("file://otherhost/x.db")).toThrow(/host/);
  });

  it("redacts passwords", () => {
    expect(redactDatabaseUrl("postgres://ttp:s3cret@db:5432/ttp")).toBe("postgres://ttp:***@db:5432/ttp");
    expect(redactDatabaseUrl("postgres://ttp@db/ttp")).toBe("postgres://ttp@db/ttp");
  });
});
