import { runEval, EVAL_USAGE } from "./commands/eval";
import { runValidate, VALIDATE_USAGE } from "./commands/validate";
import { EXIT, reportError, UsageError } from "./cli-support";

const USAGE = `usage: npm run -s ttp -- <command>

  ${VALIDATE_USAGE}
  ${EVAL_USAGE}
`;

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  validate: runValidate,
  eval: runEval,
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(USAGE);
    return name === undefined ? EXIT.invalid : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(", ")}`);
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof TypeError && "code" in err && String((err as { code: unknown }).code).startsWith("ERR_PARSE_ARGS")) {
      process.exitCode = reportError(new UsageError(err.message));
      return;
    }
    process.exitCode = reportError(err);
  },
);
