/** A valid rule document as YAML text, for tests; `extra` lines are appended verbatim. */
export function ruleYaml(
  ruleId: string,
  opts: { pattern?: string; appliesTo?: string[]; technique?: string; sub?: string; tactic?: string; confidence?: number; version?: number; evidence?: string[]; field?: string; extra?: string } = {},
): string {
  const lines = [
    `# test rule ${ruleId}`,
    `rule_id: ${ruleId}`,
    `rule_version: ${opts.version ?? 1}`,
    `name: rule_${ruleId.toLowerCase()}`,
    `description: "test rule ${ruleId}"`,
    `applies_to: [${(opts.appliesTo ?? ["command"]).join(", ")}]`,
    `match:`,
    `  pattern: '${(opts.pattern ?? "\\buname\\s+-a\\b").replace(/'/g, "''")}'`,
    ...(opts.field ? [`  field: ${opts.field}`] : []),
    `emits:`,
    `  - technique_id: ${opts.technique ?? "T1082"}`,
    ...(opts.sub ? [`    sub_technique_id: ${opts.sub}`] : []),
    `    tactic: ${opts.tactic ?? "TA0007"}`,
    `    confidence: ${opts.confidence ?? 0.6}`,
    `evidence_fields: [${(opts.evidence ?? ["command_text"]).join(", ")}]`,
  ];
  return lines.join("\n") + "\n" + (opts.extra ?? "");
}
