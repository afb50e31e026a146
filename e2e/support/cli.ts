import type { RuleState } from "../../lib/state/semantics";
import { ttp } from "./app-server";

/** The `ttp` CLI against the run's database: "another process" for the specs. */
export class Cli {
  constructor(private readonly databaseUrl: string) {}

  run(args: string[]): Promise<{ stdout: string; stderr: string }> {
    return ttp(this.databaseUrl, args);
  }

  async state(ruleId: string): Promise<RuleState & { rule_id: string }> {
    return JSON.parse((await this.run(["state", "get", ruleId])).stdout) as RuleState & { rule_id: string };
  }

  /** `ttp state set <id> <state> [flags…] --by <by>` */
  async setState(ruleId: string, state: "disabled" | "clipped" | "enabled", flags: string[] = [], by = "cli"): Promise<void> {
    await this.run(["state", "set", ruleId, state, ...flags, "--by", by]);
  }

  async clearState(ruleId: string, by = "cli"): Promise<void> {
    await this.run(["state", "clear", ruleId, "--by", by]);
  }
}
