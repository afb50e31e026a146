import os from "node:os";
import { parseArgs } from "node:util";
import { openAuthStore, ROLES, type AuthStore, type Role, type User } from "../../lib/auth";
import { NotFoundError, ValidationError } from "../../lib/errors";
import { EXIT, UsageError } from "../cli-support";
import { parseEnv } from "../config";
import { USER_USAGE, USER_USAGE_BY_COMMAND } from "./usage";

const U = USER_USAGE_BY_COMMAND;

/** Who a CLI change is recorded as: the OS account that ran it. */
function cliActor(): string {
  return `cli:${os.userInfo().username}`;
}

/** Dashboard users live in DATABASE_URL whatever TTP_RULE_STORE says. */
async function withAuthStore<T>(fn: (store: AuthStore) => Promise<T>): Promise<T> {
  const store = await openAuthStore(parseEnv().DATABASE_URL);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** All of stdin, minus one trailing newline (`echo pw |` and `printf '%s\n' pw |` both work). */
async function readPasswordFromStdin(usage: string): Promise<string> {
  if (process.stdin.isTTY) {
    throw new UsageError(`--password-stdin reads a pipe, not a terminal: printf '%s' "$PASSWORD" | bin/ttp ${usage}`);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

function userJson(u: User): Record<string, unknown> {
  return { id: u.id, username: u.username, role: u.role, created_at: u.createdAt, created_by: u.createdBy };
}

/** Runs a command step; a ValidationError becomes one `ttp <command>: <message>` line per issue and exit 1. */
async function validated(command: string, fn: () => Promise<void>): Promise<number> {
  try {
    await fn();
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    for (const i of err.issues) process.stderr.write(`ttp ${command}: ${i.message}\n`);
    return EXIT.invalid;
  }
}

function one(positionals: string[], what: string, usage: string): string {
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError(`expected exactly one ${what}: ${usage}`);
  return positionals[0];
}

async function userCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "add": {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { role: { type: "string" }, "password-stdin": { type: "boolean" } },
        allowPositionals: true,
      });
      const username = one(positionals, "user name", U.add);
      const role = values.role;
      if (role === undefined || !ROLES.includes(role as Role)) throw new UsageError(`--role must be one of ${ROLES.join(", ")}: ${U.add}`);
      // Never on the command line: argv is visible to every user of the machine (ps, /proc).
      if (!values["password-stdin"]) throw new UsageError(`the password is read from stdin only: ${U.add}`);
      const password = await readPasswordFromStdin(U.add);
      return validated("user add", async () => {
        const user = await withAuthStore((s) => s.createUser({ username, password, role: role as Role }, cliActor()));
        process.stdout.write(`created user ${user.username} (${user.role})\n`);
      });
    }
    case "list": {
      const { values } = parseArgs({ args: rest, options: { json: { type: "boolean" } }, allowPositionals: false });
      const users = await withAuthStore((s) => s.listUsers());
      if (values.json) {
        process.stdout.write(JSON.stringify(users.map(userJson)) + "\n");
      } else {
        for (const u of users) process.stdout.write(`${u.username}\t${u.role}\t${u.createdAt}\t${u.createdBy ?? "-"}\n`);
      }
      return EXIT.ok;
    }
    case "passwd": {
      const { values, positionals } = parseArgs({ args: rest, options: { "password-stdin": { type: "boolean" } }, allowPositionals: true });
      const username = one(positionals, "user name", U.passwd);
      if (!values["password-stdin"]) throw new UsageError(`the password is read from stdin only: ${U.passwd}`);
      const password = await readPasswordFromStdin(U.passwd);
      return validated("user passwd", async () => {
        const user = await withAuthStore((s) => s.setPassword(username, password, cliActor()));
        process.stdout.write(`password of ${user.username} changed; every session of ${user.username} is signed out (API tokens stay: ttp token list)\n`);
      });
    }
    case "role": {
      const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true });
      if (positionals.length !== 2) throw new UsageError(`expected a user name and a role: ${U.role}`);
      const [username, role] = positionals as [string, string];
      if (!ROLES.includes(role as Role)) throw new UsageError(`the role must be one of ${ROLES.join(", ")} (got "${role}"): ${U.role}`);
      const user = await withAuthStore((s) => s.setRole(username, role as Role, cliActor()));
      process.stdout.write(`${user.username} is now ${user.role} (from their next request)\n`);
      return EXIT.ok;
    }
    case "remove": {
      const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true });
      const username = one(positionals, "user name", U.remove);
      const user = await withAuthStore((s) => s.removeUser(username, cliActor()));
      process.stdout.write(`removed user ${user.username} (${user.role}) with their sessions and API tokens\n`);
      return EXIT.ok;
    }
    case "log": {
      const { values } = parseArgs({ args: rest, options: { user: { type: "string" }, limit: { type: "string" }, json: { type: "boolean" } }, allowPositionals: false });
      const limit = values.limit === undefined ? 50 : Number(values.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000 (got "${values.limit}"): ${U.log}`);
      const entries = await withAuthStore((s) => s.listAuthLog({ limit, ...(values.user ? { username: values.user } : {}) }));
      if (values.json) {
        process.stdout.write(JSON.stringify(entries) + "\n");
      } else {
        for (const e of entries) process.stdout.write(`${e.seq}\t${e.at}\t${e.actor}\t${e.action}\t${e.username}\t${e.detail ?? ""}\n`);
      }
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown user command "${sub ?? ""}": ${USER_USAGE.filter((u) => u.startsWith("ttp user")).join(" | ")}`);
  }
}

async function tokenCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "create": {
      const { values, positionals } = parseArgs({ args: rest, options: { label: { type: "string" } }, allowPositionals: true });
      const username = one(positionals, "user name", U.tokenCreate);
      const label = values.label?.trim();
      if (!label) throw new UsageError(`token create needs --label <text> (what the token is for): ${U.tokenCreate}`);
      return validated("token create", async () => {
        const token = await withAuthStore(async (s) => {
          const user = await s.findUserByName(username);
          if (!user) throw new NotFoundError(`unknown user "${username}"`);
          return (await s.createApiToken(user.id, label, cliActor())).token;
        });
        // The token alone on stdout (for `$(…)`); only its hash is stored, so it cannot be shown again.
        process.stdout.write(`${token}\n`);
        process.stderr.write(`API token "${label}" for ${username}: send it as "Authorization: Bearer <token>"; it is shown only this once\n`);
      });
    }
    case "list": {
      const { values } = parseArgs({ args: rest, options: { json: { type: "boolean" } }, allowPositionals: false });
      const tokens = await withAuthStore((s) => s.listApiTokens());
      if (values.json) {
        process.stdout.write(JSON.stringify(tokens.map((t) => ({ id: t.id, username: t.username, label: t.label, created_at: t.createdAt, last_used_at: t.lastUsedAt }))) + "\n");
      } else {
        for (const t of tokens) process.stdout.write(`${t.id}\t${t.username}\t${t.label}\t${t.createdAt}\t${t.lastUsedAt ?? "never used"}\n`);
      }
      return EXIT.ok;
    }
    case "revoke": {
      const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true });
      const id = one(positionals, "token id (from ttp token list)", U.tokenRevoke);
      return validated("token revoke", async () => {
        const t = await withAuthStore((s) => s.revokeApiToken(id, cliActor()));
        process.stdout.write(`revoked API token ${t.id} "${t.label}" of ${t.username}\n`);
      });
    }
    default:
      throw new UsageError(`unknown token command "${sub ?? ""}": ${USER_USAGE.filter((u) => u.startsWith("ttp token")).join(" | ")}`);
  }
}

export const USER_COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  user: userCommand,
  token: tokenCommand,
};
