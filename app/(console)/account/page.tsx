import { AccountForm } from "../../_components/account-form";
import { requireUser } from "../../_server/session";

export const metadata = { title: "Account · TTP Rule Console" };

export default async function AccountPage() {
  const user = await requireUser();
  return (
    <div>
      <h1>Account</h1>
      <p>
        Signed in as <strong>{user.username}</strong> ({user.role}).
      </p>
      <h2>Change password</h2>
      <AccountForm />
    </div>
  );
}
