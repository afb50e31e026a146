"use client";
import { useId, useState } from "react";
import { MAX_SAMPLE_BYTES, MAX_SAMPLE_EVENTS } from "../../lib/engine/sample-limits";
import { testRuleDraftAction, type TestRuleDraftData } from "../_actions/rule-test";
import styles from "./rule-test-panel.module.css";

const PLACEHOLDER = `{"source_kind": "command", "source_id": "cmd_1", "payload": {"command_text": "uname -a"}}
{"source_kind": "http_request", "payload": {"raw_url": "/index.php?id=1"}}`;

type Ran = Extract<TestRuleDraftData, { status: "ran" }>;

/**
 * Runs the editor's draft (not the stored rule) against pasted sample events or the draft's own
 * `tests:` examples, on the server with the real engine and the rule's stored state.
 */
export function RuleTestPanel(props: { ruleId: string | null; draftYaml: string }) {
  const { ruleId, draftYaml } = props;
  const id = useId();
  const [eventsText, setEventsText] = useState("");
  const [busy, setBusy] = useState<"events" | "examples" | null>(null);
  const [result, setResult] = useState<TestRuleDraftData | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);

  async function run(useExamples: boolean) {
    setFormError(null);
    setFieldError(null);
    if (!useExamples) {
      const local = checkLocally(eventsText);
      if (local) {
        setFieldError(local);
        setResult(null);
        return;
      }
    }
    setBusy(useExamples ? "examples" : "events");
    try {
      const r = await testRuleDraftAction({ ruleId, draftYaml, eventsText: useExamples ? "" : eventsText, useExamples });
      if (r.ok) setResult(r.data);
      else {
        setResult(null);
        if (r.fieldErrors?.eventsText) setFieldError(r.fieldErrors.eventsText);
        else setFormError(r.message);
      }
    } catch (err) {
      setResult(null);
      setFormError(`The test could not be run: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      setBusy(null);
    }
  }

  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  return (
    <section className={`card ${styles.panel}`} aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Test</h2>
      <p className="muted">Runs the draft in the editor (unsaved changes included) with the rule&apos;s current state. Nothing is stored.</p>
      <div className="field">
        <label htmlFor={`${id}-events`}>Sample events</label>
        <textarea
          id={`${id}-events`}
          className={styles.events}
          rows={6}
          spellCheck={false}
          placeholder={PLACEHOLDER}
          value={eventsText}
          aria-describedby={fieldError ? `${hintId} ${errorId}` : hintId}
          aria-invalid={fieldError ? true : undefined}
          onChange={(e) => setEventsText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && busy === null) {
              e.preventDefault();
              void run(false);
            }
          }}
        />
        <span id={hintId} className="muted">
          A JSON object, a JSON array, or JSON Lines; each event {"{source_kind, source_id?, payload: {…}}"}. Up to {MAX_SAMPLE_EVENTS.toLocaleString("en-US")} events and 1 MiB. Ctrl+Enter runs.
        </span>
        {fieldError && (
          <span id={errorId} className="field-error">
            {fieldError}
          </span>
        )}
      </div>
      <div className="actions">
        <button type="button" className="primary" disabled={busy !== null} onClick={() => void run(false)}>
          {busy === "events" ? "Running…" : "Run test"}
        </button>
        <button type="button" disabled={busy !== null} onClick={() => void run(true)}>
          {busy === "examples" ? "Running…" : "Use the rule's examples"}
        </button>
      </div>
      {formError && (
        <p role="alert" className="form-error">
          {formError}
        </p>
      )}
      <div role="region" aria-label="Test results" aria-busy={busy !== null} className={styles.results}>
        <p role="status" className={result ? styles.summary : "sr-only"}>
          {result ? summaryText(result) : ""}
        </p>
        {result?.status === "invalid-draft" && <InvalidDraft issues={result.issues} />}
        {result?.status === "ran" && <Outcomes result={result} />}
      </div>
    </section>
  );
}

function checkLocally(text: string): string | null {
  if (text.trim() === "") return "Paste at least one event: a JSON object, a JSON array of objects, or JSON Lines.";
  const bytes = new TextEncoder().encode(text).length;
  if (bytes > MAX_SAMPLE_BYTES) {
    return `The sample events are ${bytes.toLocaleString("en-US")} bytes; at most 1 MiB (${MAX_SAMPLE_BYTES.toLocaleString("en-US")} bytes) can be tested at once.`;
  }
  return null;
}

function num(n: number): string {
  return n.toLocaleString("en-US");
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${num(n)} ${n === 1 ? one : many}`;
}

function summaryText(r: TestRuleDraftData): string {
  if (r.status === "invalid-draft") {
    const errors = r.issues.filter((i) => i.severity === "error").length;
    return `The draft is invalid (${plural(errors, "problem")}); nothing was run.`;
  }
  const s = r.summary;
  const parts = [
    r.mode === "examples" ? `${plural(s.events, "example")}: ${num(s.passed)} passed, ${num(s.failed)} failed` : `${plural(s.events, "event")}: ${num(s.matched)} matched, ${num(s.notMatched)} no match`,
  ];
  if (s.malformed > 0) parts.push(`${plural(s.malformed, "malformed entry", "malformed entries")} skipped`);
  return `${parts.join("; ")} (${r.elapsedMs} ms).`;
}

function InvalidDraft({ issues }: { issues: Extract<TestRuleDraftData, { status: "invalid-draft" }>["issues"] }) {
  return (
    <ul aria-label="Draft problems" className={styles.issues}>
      {issues.map((i, k) => (
        <li key={k} className={i.severity === "error" ? styles.error : styles.warning}>
          line {i.line}:{i.column}: {i.severity === "warning" ? "warning: " : ""}
          {i.message}
          {i.path.length > 0 && <span className="muted"> (at {i.path.join(".")})</span>}
        </li>
      ))}
    </ul>
  );
}

function Outcomes({ result }: { result: Ran }) {
  return (
    <>
      <p className={result.state.disabled ? styles.disabled : styles.state}>{result.state.message}</p>
      {result.ruleIdMismatch && <p className={styles.warning}>{result.ruleIdMismatch}</p>}
      {result.analyzer && <p className={styles.warning}>This is an analyzer rule: the generic engine does not evaluate it, so no event can match here.</p>}
      {result.exampleFailures.length > 0 && (
        <div className={styles.warning}>
          <p>Saving this draft would be refused: {plural(result.exampleFailures.length, "tests: example fails", "tests: examples fail")}.</p>
          <ul>
            {result.exampleFailures.map((f) => (
              <li key={f.index}>
                line {f.line}:{f.column}: {f.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {result.warnings.length > 0 && (
        <ul aria-label="Draft warnings" className={styles.issues}>
          {result.warnings.map((w, k) => (
            <li key={k} className={styles.warning}>
              line {w.line}:{w.column}: warning: {w.message}
            </li>
          ))}
        </ul>
      )}
      {result.malformed.length > 0 && (
        <ul aria-label="Malformed events" className={styles.issues}>
          {result.malformed.map((m, k) => (
            <li key={k} className={styles.error}>
              line {m.line}: skipped: {m.message}
            </li>
          ))}
        </ul>
      )}
      <ol aria-label="Event outcomes" className={styles.outcomes}>
        {result.outcomes.map((o) => (
          <li key={`${o.index}-${o.line}`} className={o.matched ? styles.matched : styles.noMatch} data-outcome={o.matched ? "matched" : "no-match"}>
            <div className={styles.head}>
              {o.example && <span className={o.example.pass ? styles.pass : styles.fail}>{o.example.pass ? "PASS" : "FAIL"}</span>}
              <span className="muted">
                {o.label} · {o.sourceKind} · {o.sourceId}
              </span>
            </div>
            <div>{o.text}</div>
            {o.tags.length > 0 && (
              <details>
                <summary>Tags and evidence</summary>
                <table className={styles.tags}>
                  <thead>
                    <tr>
                      <th scope="col">Tactic</th>
                      <th scope="col">Technique</th>
                      <th scope="col">Sub-technique</th>
                      <th scope="col">Confidence</th>
                      <th scope="col">Evidence</th>
                    </tr>
                  </thead>
                  <tbody>
                    {o.tags.map((t, k) => (
                      <tr key={k}>
                        <td>{t.tactic}</td>
                        <td>{t.techniqueId}</td>
                        <td>{t.subTechniqueId ?? "—"}</td>
                        <td>
                          {t.confidence}
                          {t.clipped && <span className="muted"> (clipped from {t.unclippedConfidence})</span>}
                          {t.unclippedConfidence !== t.declaredConfidence && <span className="muted"> (emits {t.declaredConfidence}, scaled by the analyzer)</span>}
                          {t.belowSinkFloor && <span className="muted"> · below the sinks&apos; 0.3 floor</span>}
                        </td>
                        <td>
                          <code className={styles.evidence}>{JSON.stringify(t.evidence)}</code>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </details>
            )}
          </li>
        ))}
      </ol>
    </>
  );
}
