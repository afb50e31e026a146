/** Ids R0001–R0999 are DECNET's (its pack uses R0001–R0059); this project's own rules start at R1001. */
const FIRST_OWN_ID = 1001;

/**
 * The first free id after the highest `R####` of our range in use (R1001 when there is none);
 * DECNET-range ids (R0001–R0999, e.g. an imported DECNET pack) are ignored, so a new rule never
 * takes an id DECNET uses. Past R9999 it falls back to the first gap from R1001.
 */
export function nextFreeRuleId(existing: Iterable<string>): string {
  const used = new Set(existing);
  let max = FIRST_OWN_ID - 1;
  for (const id of used) {
    const m = /^R(\d{4})$/.exec(id);
    if (m) max = Math.max(max, Number(m[1]));
  }
  const fmt = (n: number): string => `R${String(n).padStart(4, "0")}`;
  for (let n = max + 1; n <= 9999; n++) if (!used.has(fmt(n))) return fmt(n);
  for (let n = FIRST_OWN_ID; n <= 9999; n++) if (!used.has(fmt(n))) return fmt(n);
  let k = 1;
  while (used.has(`R_new_${k}`)) k++;
  return `R_new_${k}`;
}

/** A valid starting point for /rules/new-rule: every required field, one pattern, one emit, a positive and a negative example. */
export function newRuleTemplate(ruleId: string): string {
  return `rule_id: ${ruleId}
rule_version: 1
name: new_rule
description: >-
  What this rule detects, and why it is worth a tag.
applies_to: [command]
match:
  pattern: '(?i)\\bexample-tool\\b'
emits:
  - technique_id: T1059
    sub_technique_id: T1059.004
    tactic: TA0002
    confidence: 0.5
evidence_fields: [command_text]
tests:
  - event:
      payload:
        command_text: 'example-tool --run'
    expect: [T1059]
  - event:
      payload:
        command_text: 'ls -la'
    expect: []
`;
}
