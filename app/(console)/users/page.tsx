import type { AuthAction } from "../../../lib/auth/types";
import { LocalTime } from "../../_components/local-time";
import { UserAdmin } from "../../_components/user-admin";
import { getServices } from "../../_server/services";
import { hasRole, requireUser } from "../../_server/session";

export const metadata = { title: "Users · TTP Rule Console" };

const ACTION_TEXT: Record<AuthAction, string> = {
  user_added: "user added",
  role_changed: "role changed",
  password_set: "password set",
  user_removed: "user removed",
  token_created: "API token created",
  token_revoked: "API token revoked",
};

export default async function UsersPage() {
  const user = await requireUser();
  if (!hasRole(user, "admin")) {
    return (
      <div>
        <h1>Users</h1>
        <p role="alert" className="form-error">
          Managing users needs the admin role; you are signed in as {user.username} ({user.role}).
        </p>
      </div>
    );
  }
  const { auth } = await getServices();
  const [users, tokens, log] = await Promise.all([auth.listUsers(), auth.listApiTokens(), auth.listAuthLog({ limit: 50 })]);
  return (
    <div>
      <h1>Users</h1>
      <p className="muted">
        Viewers read everything; admins also change rules and users. The last admin can be neither demoted nor removed. Also from a shell: <code>ttp user …</code>,{" "}
        <code>ttp token …</code>.
      </p>
      <UserAdmin
        me={user.username}
        users={users.map((u) => ({ username: u.username, role: u.role, createdAt: u.createdAt, createdBy: u.createdBy }))}
        tokens={tokens}
      />
      <h2 style={{ marginTop: 28 }}>Account changes</h2>
      <p className="muted">The last 50, newest first (all of them: <code>ttp user log</code>). Passwords and tokens are never recorded.</p>
      <table className="plain" aria-label="Account changes">
        <thead>
          <tr>
            <th>When</th>
            <th>By</th>
            <th>Change</th>
            <th>User</th>
            <th>Detail</th>
          </tr>
        </thead>
        <tbody>
          {log.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No account changes recorded yet.
              </td>
            </tr>
          )}
          {log.map((e) => (
            <tr key={e.seq}>
              <td>
                <LocalTime iso={e.at} />
              </td>
              <td>{e.actor}</td>
              <td>{ACTION_TEXT[e.action]}</td>
              <td>{e.username}</td>
              <td>{e.detail ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
