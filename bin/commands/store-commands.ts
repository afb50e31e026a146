import { mkdir, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { formatIssue } from "../../lib/errors";
import { loadRulesDirInThreads } from "../../lib/rules/load-pool";
import { ruleFileName } from "../../lib/rules/rule-pack";
import { resolveStateRequest, stateValidationError } from "../../lib/state/policy";
import type { RuleState } from "../../lib/state/semantics";
import type { ChangeLogEntry, RuleChange, RuleRecord, RuleStore } from "../../lib/store/types";
import { migrateDatabase } from "../../db/open-database";
import { EXIT, parseNumberOption, UsageError } from "../cli-support";
import { parseEnv, parseStatePolicy, type TtpEnv } from "../config";
import { openDatabaseStore, openStore } from "../open-store";
import { startProgress } from "../progress";
import { STORE_USAGE } from "./usage";


async function withStore<T>(env: TtpEnv, fn: (store: RuleStore) => Promise<T>, options: { watch?: boolean; expiry?: boolean } = {}): Promise<T> {
  const store = await openStore(env, options);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

function requireActor(by: string | undefined, command: string): string {
  if (by === undefined || by.trim() === "") throw new UsageError(`${command} needs --by <actor> (who is making the change; it is recorded in the change log)`);
  return by.trim();
}

function one(positionals: string[], what: string, usage: string): string {
  if (positionals.length !== 1 || !positionals[0]) throw new UsageError(`expected exactly one ${what}: ${usage}`);
  return positionals[0];
}

export function stateJson(s: RuleState): Record<string, unknown> {
  return { state: s.state, confidence_max: s.confidence_max, expires_at: s.expires_at, reason: s.reason, set_by: s.set_by, set_at: s.set_at };
}

function recordJson(r: RuleRecord): Record<string, unknown> {
  return {
    rule_id: r.ruleId,
    rule_version: r.ruleVersion,
    name: r.name,
    origin: r.origin,
    revision: r.revision,
    source_path: r.sourcePath,
    updated_at: r.updatedAt,
    updated_by: r.updatedBy,
    applies_to: [...r.rule.appliesTo],
    techniques: r.rule.emits.map((e) => e.sub_technique_id ?? e.technique_id),
    state: stateJson(r.state),
  };
}

/** A change as one snake_case JSON object (SPEC §7). */
export function changeJson(c: RuleChange): Record<string, unknown> {
  const base = { seq: c.seq, kind: c.kind, rule_id: c.ruleId, actor: c.actor, at: c.at };
  switch (c.kind) {
    case "definition":
      return { ...base, rule_version: c.rule.ruleVersion, revision: c.revision };
    case "deleted":
      return base;
    case "state":
      return { ...base, ...stateJson(c.state), auto_revert: c.autoRevert };
  }
}

function changeText(c: RuleChange): string {
  const head = `${c.seq ?? "-"}\t${c.at}\t${c.kind}\t${c.ruleId}\t${c.actor ?? ""}`;
  switch (c.kind) {
    case "definition":
      return `${head}\tversion=${c.rule.ruleVersion} revision=${c.revision}`;
    case "deleted":
      return head;
    case "state": {
      const s = c.state;
      const parts = [`state=${s.state}`];
      if (s.confidence_max !== null) parts.push(`confidence_max=${s.confidence_max}`);
      if (s.expires_at) parts.push(`expires_at=${s.expires_at}`);
      if (c.autoRevert) parts.push("auto_revert");
      if (s.reason) parts.push(`reason=${JSON.stringify(s.reason)}`);
      return `${head}\t${parts.join(" ")}`;
    }
  }
}

function historyToChange(e: ChangeLogEntry): Record<string, unknown> {
  return { seq: e.seq, kind: e.kind, rule_id: e.ruleId, actor: e.actor, at: e.at, reason: e.reason, auto_revert: e.autoRevert };
}

async function rulesCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const env = parseEnv();
  switch (sub) {
    case "list": {
      const { values } = parseArgs({ args: rest, options: { json: { type: "boolean" } }, allowPositionals: false });
      const records = await withStore(env, (s) => s.listRules());
      if (values.json) {
        process.stdout.write(JSON.stringify(records.map(recordJson)) + "\n");
      } else {
        for (const r of records) {
          const st = r.state.state === "clipped" ? `clipped≤${r.state.confidence_max}` : r.state.state;
          const exp = r.state.expires_at ? ` until ${r.state.expires_at}` : "";
          process.stdout.write(`${r.ruleId}\tv${r.ruleVersion}\trev ${r.revision}\t${r.origin}\t${st}${exp}\t${r.name}\n`);
        }
      }
      return EXIT.ok;
    }
    case "import": {
      const { values, positionals } = parseArgs({ args: rest, options: { by: { type: "string" } }, allowPositionals: true });
      const dir = one(positionals, "directory", "ttp rules import <dir>");
      const reading = startProgress(`reading and validating ${dir}`, null, { redrawMs: 0 });
      reading.update(0);
      const ticker = setInterval(() => reading.update(0), 250);
      const loaded = await loadRulesDirInThreads(dir)
        .catch((err: unknown) => {
          throw new UsageError(`cannot read ${dir}: ${err instanceof Error ? err.message : String(err)}`);
        })
        .finally(() => {
          clearInterval(ticker);
          reading.finish();
        });
      const errors = loaded.issues.filter((i) => i.severity === "error");
      if (errors.length > 0) {
        for (const i of errors) process.stderr.write(`${formatIssue(i)}\n`);
        process.stderr.write(`ttp rules import: ${errors.length} problem(s); nothing imported\n`);
        return EXIT.invalid;
      }
      const actor = values.by?.trim() || `cli:${os.userInfo().username}`;
      // One validation pass (loadRulesDirInThreads's: thousands of files are validated on every core), then one atomic batch: nothing is written if any part fails.
      const items = loaded.rules.flatMap((rule) => {
        const file = loaded.files.get(rule.ruleId);
        return file ? [{ yamlText: file.text, sourcePath: file.path, rule }] : [];
      });
      const bar = startProgress("importing rules", items.length);
      let written = 0;
      try {
        written = (await withStore(env, (s) => s.upsertRules(items, { actor, origin: "import", onProgress: (done) => bar.update(done) }))).written.length;
      } finally {
        bar.finish();
      }
      process.stderr.write(`imported ${loaded.rules.length} rule(s): ${written} written, ${loaded.rules.length - written} unchanged\n`);
      return EXIT.ok;
    }
    case "export": {
      const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true });
      const dir = one(positionals, "directory", "ttp rules export <dir>");
      await mkdir(dir, { recursive: true });
      const records = await withStore(env, (s) => s.listRules());
      const bar = startProgress("exporting rules", records.length);
      try {
        // A few files in flight at a time: thousands of rules, each written to a temporary name and renamed.
        let next = 0;
        let done = 0;
        const writer = async (): Promise<void> => {
          for (let r = records[next++]; r !== undefined; r = records[next++]) {
            const target = path.join(dir, ruleFileName(r.ruleId));
            const tmp = path.join(dir, `.${ruleFileName(r.ruleId)}.${process.pid}.tmp`);
            await writeFile(tmp, r.yamlText, { mode: 0o644 });
            await rename(tmp, target);
            bar.update(++done);
          }
        };
        await Promise.all(Array.from({ length: 8 }, writer));
      } finally {
        bar.finish();
      }
      process.stderr.write(`exported ${records.length} rule(s) to ${dir}\n`);
      return EXIT.ok;
    }
    case "delete": {
      const { values, positionals } = parseArgs({ args: rest, options: { by: { type: "string" }, reason: { type: "string" } }, allowPositionals: true });
      const ruleId = one(positionals, "rule id", "ttp rules delete <rule_id> --by <actor>");
      const actor = requireActor(values.by, "rules delete");
      await withStore(env, (s) => s.deleteRule(ruleId, { actor, ...(values.reason ? { reason: values.reason } : {}) }));
      process.stderr.write(`deleted ${ruleId}\n`);
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown rules command "${sub ?? ""}": ${STORE_USAGE.filter((u) => u.startsWith("ttp rules")).join(" | ")}`);
  }
}

async function stateCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const env = parseEnv();
  switch (sub) {
    case "get": {
      const { positionals } = parseArgs({ args: rest, options: {}, allowPositionals: true });
      const ruleId = one(positionals, "rule id", "ttp state get <rule_id>");
      const state = await withStore(env, async (s) => {
        await s.getRule(ruleId); // an unknown rule is an error here, not a default state
        return s.getState(ruleId);
      });
      process.stdout.write(JSON.stringify({ rule_id: ruleId, ...stateJson(state) }) + "\n");
      return EXIT.ok;
    }
    case "set": {
      const { values, positionals } = parseArgs({
        args: rest,
        options: { "confidence-max": { type: "string" }, expires: { type: "string" }, reason: { type: "string" }, by: { type: "string" } },
        allowPositionals: true,
      });
      if (positionals.length !== 2) throw new UsageError(`expected <rule_id> and a state: ${STORE_USAGE[5]}`);
      const [ruleId, stateName] = positionals as [string, string];
      const actor = requireActor(values.by, "state set");
      const confidenceMax = parseNumberOption("confidence-max", values["confidence-max"], Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
      const request: Record<string, unknown> = { state: stateName };
      if (confidenceMax !== undefined) request.confidence_max = confidenceMax;
      if (values.expires !== undefined) request.expires_at = values.expires;
      if (values.reason !== undefined) request.reason = values.reason;
      const resolved = resolveStateRequest(request, parseStatePolicy(), Date.now());
      if (!resolved.ok) throw stateValidationError(ruleId, resolved.issues);
      const stored = await withStore(env, (s) => s.setState(ruleId, resolved.state, actor));
      if (env.TTP_RULE_STORE === "filesystem") process.stderr.write("note: the filesystem backend keeps state in this process's memory only\n");
      process.stdout.write(JSON.stringify({ rule_id: ruleId, ...stateJson(stored) }) + "\n");
      return EXIT.ok;
    }
    case "clear": {
      const { values, positionals } = parseArgs({ args: rest, options: { by: { type: "string" }, reason: { type: "string" } }, allowPositionals: true });
      const ruleId = one(positionals, "rule id", "ttp state clear <rule_id> --by <actor>");
      const actor = requireActor(values.by, "state clear");
      const stored = await withStore(env, (s) => s.clearState(ruleId, actor, values.reason));
      process.stdout.write(JSON.stringify({ rule_id: ruleId, ...stateJson(stored) }) + "\n");
      return EXIT.ok;
    }
    default:
      throw new UsageError(`unknown state command "${sub ?? ""}": ${STORE_USAGE.filter((u) => u.startsWith("ttp state")).join(" | ")}`);
  }
}

async function tailCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { "from-seq": { type: "string" }, json: { type: "boolean" }, history: { type: "string" } }, allowPositionals: false });
  const env = parseEnv();
  const fromSeq = parseNumberOption("from-seq", values["from-seq"], 0, Number.MAX_SAFE_INTEGER);
  if (fromSeq !== undefined && !Number.isInteger(fromSeq)) throw new UsageError("--from-seq must be a whole number");
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const write = (c: RuleChange): void => {
    process.stdout.write((values.json ? JSON.stringify(changeJson(c)) : changeText(c)) + "\n");
  };
  if (env.TTP_RULE_STORE === "filesystem") {
    const store = await openStore(env, { watch: true, expiry: true });
    try {
      for await (const c of store.subscribeChanges({ signal: controller.signal })) {
        if (c.kind === "resync") continue;
        write(c);
      }
    } finally {
      await store.close();
    }
    return EXIT.ok;
  }
  const store = await openDatabaseStore(env, "tail", { expiry: true });
  try {
    if (values.history !== undefined) {
      const limit = parseNumberOption("history", values.history, 1, 10_000) ?? 20;
      for (const e of (await store.history({ limit })).reverse()) process.stdout.write(JSON.stringify(historyToChange(e)) + "\n");
    }
    for await (const c of store.subscribeChanges({ fromSeq: fromSeq ?? (await store.headSeq()), signal: controller.signal })) if (c.kind !== "resync") write(c);
  } finally {
    await store.close();
  }
  return EXIT.ok;
}

async function dbCommand(argv: string[]): Promise<number> {
  const [sub] = argv;
  if (sub !== "migrate") throw new UsageError(`unknown db command "${sub ?? ""}": ttp db migrate`);
  const env = parseEnv();
  const bar = startProgress("applying migrations", null, { redrawMs: 0 });
  bar.update(0);
  try {
    await migrateDatabase(env.DATABASE_URL);
  } finally {
    bar.finish();
  }
  process.stderr.write("migrations applied\n");
  return EXIT.ok;
}

export const STORE_COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  rules: rulesCommand,
  state: stateCommand,
  tail: tailCommand,
  db: dbCommand,
};
