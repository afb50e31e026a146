"use client";
import { useId, useState, useTransition, type FormEvent } from "react";
import { changeOwnPasswordAction } from "../_actions/users";

/** The signed-in user's own password: current, new, new again. */
export function AccountForm() {
  const ids = useId();
  const [pending, start] = useTransition();
  const [values, setValues] = useState({ current: "", password: "", confirm: "" });
  const [fields, setFields] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    start(async () => {
      setDone(false);
      setError(null);
      const r = await changeOwnPasswordAction(values);
      if (r.ok) {
        setFields({});
        setValues({ current: "", password: "", confirm: "" });
        setDone(true);
      } else {
        setFields(r.fieldErrors ?? {});
        setError(r.message);
      }
    });
  };
  const field = (key: "current" | "password" | "confirm", label: string, autoComplete: string) => (
    <div className="field">
      <label htmlFor={`${ids}-${key}`}>{label}</label>
      <input
        id={`${ids}-${key}`}
        type="password"
        autoComplete={autoComplete}
        value={values[key]}
        onChange={(e) => setValues({ ...values, [key]: e.target.value })}
        aria-invalid={!!fields[key]}
        aria-describedby={fields[key] ? `${ids}-${key}-error` : undefined}
      />
      {fields[key] && (
        <span className="field-error" id={`${ids}-${key}-error`}>
          {fields[key]}
        </span>
      )}
    </div>
  );
  return (
    <form className="card" onSubmit={submit} aria-label="Change password" style={{ maxWidth: 420 }}>
      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}
      {done && <p role="status">Password changed. Your other sessions are signed out; this one continues.</p>}
      {field("current", "Current password", "current-password")}
      {field("password", "New password (at least 10 characters)", "new-password")}
      {field("confirm", "New password again", "new-password")}
      <button type="submit" disabled={pending}>
        Change password
      </button>
    </form>
  );
}
