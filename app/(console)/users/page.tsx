import { UserAdmin } from "../../_components/user-admin";
import { getServices } from "../../_server/services";
import { hasRole, requireUser } from "../../_server/session";

export const metadata = { title: "Users · TTP Rule Console" };

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
  const [users, tokens] = await Promise.all([auth.listUsers(), auth.listApiTokens()]);
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
    </div>
  );
}
