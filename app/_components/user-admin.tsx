"use client";
import { useRouter } from "next/navigation";
import { useId, useState, useTransition, type FormEvent, type ReactNode } from "react";
import type { ApiTokenInfo } from "../../lib/auth/types";
import { addUserAction, createApiTokenAction, removeUserAction, resetUserPasswordAction, revokeApiTokenAction, setUserRoleAction, type UserRow } from "../_actions/users";
import type { ActionResult } from "../_server/action-result";
import { LocalTime } from "./local-time";

type Fields = Record<string, string>;

const FORM_STYLE = { maxWidth: 560, marginTop: 16 } as const;
const HEADING_STYLE = { marginTop: 28 } as const;

/** Runs an action; returns its field errors (or sets the form error) and refreshes the page on success. */
function useAction(): {
  pending: boolean;
  error: string | null;
  notice: string | null;
  run: <T>(call: () => Promise<ActionResult<T>>, done: (data: T) => string | null) => Promise<Fields>;
} {
  const router = useRouter();
  const [pending, start] = useTransition();
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const run = <T,>(call: () => Promise<ActionResult<T>>, done: (data: T) => string | null): Promise<Fields> =>
    new Promise((resolve) => {
      start(async () => {
        setError(null);
        setNotice(null);
        const r = await call();
        if (r.ok) {
          setNotice(done(r.data));
          router.refresh();
          resolve({});
        } else {
          setError(r.message);
          resolve(r.fieldErrors ?? {});
        }
      });
    });
  return { pending, error, notice, run };
}

function Field({ id, label, error, children }: { id: string; label: string; error: string | undefined; children: ReactNode }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children}
      {error && (
        <span className="field-error" id={`${id}-error`}>
          {error}
        </span>
      )}
    </div>
  );
}

function Messages({ error, notice }: { error: string | null; notice: string | null }) {
  return (
    <>
      {error && (
        <p role="alert" className="form-error">
          {error}
        </p>
      )}
      {notice && <p role="status">{notice}</p>}
    </>
  );
}

/** Users (add, role, password, remove) and API tokens (create shown once, revoke). Admins only. */
export function UserAdmin({ me, users, tokens }: { me: string; users: UserRow[]; tokens: ApiTokenInfo[] }) {
  const ids = useId();
  const action = useAction();
  const [userFields, setUserFields] = useState<Fields>({});
  const [passwordFields, setPasswordFields] = useState<Fields>({});
  const [tokenFields, setTokenFields] = useState<Fields>({});
  const [newUser, setNewUser] = useState({ username: "", role: "viewer", password: "" });
  const [passwordFor, setPasswordFor] = useState<string | null>(null);
  const [newPassword, setNewPassword] = useState("");
  const [tokenInput, setTokenInput] = useState({ username: users[0]?.username ?? "", label: "" });
  const [created, setCreated] = useState<{ token: string; username: string; label: string } | null>(null);

  const submitUser = async (e: FormEvent) => {
    e.preventDefault();
    const errs = await action.run(() => addUserAction({ ...newUser, role: newUser.role as "viewer" | "admin" }), (u) => {
      setNewUser({ username: "", role: "viewer", password: "" });
      return `Added ${u.username} (${u.role}).`;
    });
    setUserFields(errs);
  };
  const submitPassword = async (e: FormEvent) => {
    e.preventDefault();
    if (!passwordFor) return;
    const errs = await action.run(() => resetUserPasswordAction({ username: passwordFor, password: newPassword }), (u) => {
      setPasswordFor(null);
      setNewPassword("");
      return `Password of ${u.username} set; their sessions are signed out.`;
    });
    setPasswordFields(errs);
  };
  const submitToken = async (e: FormEvent) => {
    e.preventDefault();
    setCreated(null);
    const errs = await action.run(() => createApiTokenAction(tokenInput), (t) => {
      setCreated(t);
      setTokenInput((v) => ({ ...v, label: "" }));
      return null;
    });
    setTokenFields(errs);
  };

  return (
    <div className="user-admin">
      <Messages error={action.error} notice={action.notice} />
      <h2 style={HEADING_STYLE}>Users</h2>
      <table className="plain" aria-label="Users">
        <thead>
          <tr>
            <th>User</th>
            <th>Role</th>
            <th>Added</th>
            <th>Added by</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.username} aria-label={u.username}>
              <td>
                {u.username} {u.username === me && <span className="muted">(you)</span>}
              </td>
              <td>
                <label className="sr-only" htmlFor={`${ids}-role-${u.username}`}>
                  Role of {u.username}
                </label>
                <select
                  id={`${ids}-role-${u.username}`}
                  value={u.role}
                  disabled={action.pending}
                  onChange={(e) => void action.run(() => setUserRoleAction({ username: u.username, role: e.target.value as "viewer" | "admin" }), (r) => `${r.username} is now ${r.role}.`)}
                >
                  <option value="viewer">viewer</option>
                  <option value="admin">admin</option>
                </select>
              </td>
              <td>
                <LocalTime iso={u.createdAt} />
              </td>
              <td>{u.createdBy ?? "—"}</td>
              <td>
                {u.username !== me && (
                  <div className="actions">
                    <button type="button" onClick={() => setPasswordFor(u.username)} disabled={action.pending}>
                      Set password…
                    </button>
                    <button
                      type="button"
                      disabled={action.pending}
                      onClick={() => {
                        if (window.confirm(`Remove ${u.username}? Their sessions and API tokens end now.`)) {
                          void action.run(() => removeUserAction(u.username), (r) => `Removed ${r.username}.`);
                        }
                      }}
                    >
                      Remove
                    </button>
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      {passwordFor && (
        <form className="card" style={FORM_STYLE} onSubmit={submitPassword} aria-label={`New password for ${passwordFor}`}>
          <Field id={`${ids}-reset`} label={`New password for ${passwordFor}`} error={passwordFields.password}>
            <input id={`${ids}-reset`} type="password" autoComplete="new-password" value={newPassword} onChange={(e) => setNewPassword(e.target.value)} aria-invalid={!!passwordFields.password} />
          </Field>
          <p className="muted">At least 10 characters. Every session of {passwordFor} is signed out; their API tokens keep working.</p>
          <div className="actions">
            <button type="submit" disabled={action.pending}>
              Set password
            </button>
            <button type="button" onClick={() => setPasswordFor(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}

      <form className="card" style={FORM_STYLE} onSubmit={submitUser} aria-label="Add user">
        <h3>Add user</h3>
        <Field id={`${ids}-name`} label="User name" error={userFields.username}>
          <input id={`${ids}-name`} autoComplete="off" value={newUser.username} onChange={(e) => setNewUser({ ...newUser, username: e.target.value })} aria-invalid={!!userFields.username} />
        </Field>
        <Field id={`${ids}-newrole`} label="Role" error={userFields.role}>
          <select id={`${ids}-newrole`} value={newUser.role} onChange={(e) => setNewUser({ ...newUser, role: e.target.value })}>
            <option value="viewer">viewer (reads)</option>
            <option value="admin">admin (also changes rules and users)</option>
          </select>
        </Field>
        <Field id={`${ids}-pw`} label="Initial password" error={userFields.password}>
          <input id={`${ids}-pw`} type="password" autoComplete="new-password" value={newUser.password} onChange={(e) => setNewUser({ ...newUser, password: e.target.value })} aria-invalid={!!userFields.password} />
        </Field>
        <button type="submit" disabled={action.pending}>
          Add user
        </button>
      </form>

      <h2 style={HEADING_STYLE}>API tokens</h2>
      <p className="muted">For scripts: send <code>Authorization: Bearer &lt;token&gt;</code>. A token acts with its user&apos;s role; only its SHA-256 is stored.</p>
      <table className="plain" aria-label="API tokens">
        <thead>
          <tr>
            <th>Id</th>
            <th>User</th>
            <th>Label</th>
            <th>Created</th>
            <th>Last used</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {tokens.length === 0 && (
            <tr>
              <td colSpan={6} className="muted">
                No API tokens.
              </td>
            </tr>
          )}
          {tokens.map((t) => (
            <tr key={t.id} aria-label={`${t.username} ${t.label}`}>
              <td>
                <code>{t.id}</code>
              </td>
              <td>{t.username}</td>
              <td>{t.label}</td>
              <td>
                <LocalTime iso={t.createdAt} />
              </td>
              <td>{t.lastUsedAt ? <LocalTime iso={t.lastUsedAt} /> : <span className="muted">never</span>}</td>
              <td>
                <button
                  type="button"
                  disabled={action.pending}
                  onClick={() => {
                    if (window.confirm(`Revoke "${t.label}" of ${t.username}? Scripts using it get 401 from now on.`)) {
                      void action.run(() => revokeApiTokenAction(t.id), (r) => `Revoked "${r.label}" of ${r.username}.`);
                    }
                  }}
                >
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="card" style={FORM_STYLE} onSubmit={submitToken} aria-label="Create API token">
        <h3>Create API token</h3>
        <Field id={`${ids}-tuser`} label="For user" error={tokenFields.username}>
          <select id={`${ids}-tuser`} value={tokenInput.username} onChange={(e) => setTokenInput({ ...tokenInput, username: e.target.value })}>
            {users.map((u) => (
              <option key={u.username} value={u.username}>
                {u.username} ({u.role})
              </option>
            ))}
          </select>
        </Field>
        <Field id={`${ids}-label`} label="Label (what it is for)" error={tokenFields.label}>
          <input id={`${ids}-label`} autoComplete="off" value={tokenInput.label} onChange={(e) => setTokenInput({ ...tokenInput, label: e.target.value })} aria-invalid={!!tokenFields.label} />
        </Field>
        <button type="submit" disabled={action.pending}>
          Create token
        </button>
        {created && (
          <div role="status" aria-label="New API token">
            <p>
              Token &quot;{created.label}&quot; for {created.username} — copy it now, it is not shown again:
            </p>
            <input readOnly aria-label="Token" value={created.token} onFocus={(e) => e.currentTarget.select()} style={{ width: "100%", fontFamily: "monospace" }} />
          </div>
        )}
      </form>
    </div>
  );
}
