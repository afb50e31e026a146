// Every command's usage line, in a module of its own: `ttp --help` prints them all without
// loading any command (each command's module, and what it imports, loads only when it runs).

export const VALIDATE_USAGE = "ttp validate <path…>   (files or rule directories)";

export const EVAL_USAGE = "ttp eval --rules <dir> [--events <file>|-] [--min-confidence x] [--threads n]";

export const STORE_USAGE = [
  "ttp rules list [--json]",
  "ttp rules import <dir> [--by <actor>]",
  "ttp rules export <dir>",
  "ttp rules delete <rule_id> --by <actor> [--reason text]",
  "ttp state get <rule_id>",
  "ttp state set <rule_id> enabled|disabled|clipped [--confidence-max x] [--expires 90s|30m|2h|7d|<ISO-8601>] [--reason text] --by <actor>",
  "ttp state clear <rule_id> --by <actor> [--reason text]",
  "ttp tail [--from-seq n] [--json]",
  "ttp db migrate",
];

export const WORKER_USAGE = [
  "ttp worker --role master [--id <id>] [--port n] [--host addr] [--report-interval 5s] [--nats <url> [--stream DECNET] [--subject-prefix p]]",
  "ttp worker --role worker [--id <id>] [--events <file>|- [--follow [--from-end] [--checkpoint <file>]] | --nats <url> --durable <name> [--stream DECNET] [--subject-prefix p] [--max-deliver 5] [--ack-wait 30s] [--batch 500]]",
  "           [--sink jsonl|db|nats (comma-separated)] [--out <file>|-]",
  "           [--min-confidence x] [--threads n] [--match-cache n] [--port n] [--host addr] [--report-interval 5s] [--trace-applied <file>|-] [--drain-timeout 10s]",
];

export const WORKERS_USAGE = "ttp workers [--json] [--check] [--noisy n]";

export const NATS_USAGE = ["ttp nats init --nats <url> [--stream DECNET] [--subject-prefix <p>] [--replicas n]"];

export const USER_USAGE_BY_COMMAND = {
  add: "ttp user add <name> --role viewer|admin --password-stdin",
  list: "ttp user list [--json]",
  passwd: "ttp user passwd <name> --password-stdin",
  role: "ttp user role <name> viewer|admin",
  remove: "ttp user remove <name>",
  log: "ttp user log [--user <name>] [--limit n] [--json]",
  tokenCreate: "ttp token create <username> --label <text>",
  tokenList: "ttp token list [--json]",
  tokenRevoke: "ttp token revoke <id>",
};

export const USER_USAGE = Object.values(USER_USAGE_BY_COMMAND);
