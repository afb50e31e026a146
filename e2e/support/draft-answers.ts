/** What the dashboard answered one draft-validation server action (the draft-flood spec and `bench -- hostile`). */
export type DraftAnswer = "checked" | "stopped" | "slowDown" | "other";

export function classifyDraftAnswer(text: string): DraftAnswer {
  if (text.includes("Too many validations, slow down")) return "slowDown";
  if (text.includes("took longer than")) return "stopped";
  if (text.includes('"ok":true')) return "checked";
  return "other";
}
