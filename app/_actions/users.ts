"use server";
import { z } from "zod";
import { verifyPasswordThrottled } from "../../lib/auth/sign-in";
import { ROLES, type ApiTokenInfo, type User } from "../../lib/auth/types";
import { authorize, fail, toActionError, type ActionResult } from "../_server/action-result";
import { getServices } from "../_server/services";
import { clientIp, setSessionCookie } from "../_server/session";
import { zodFieldErrors } from "../_server/state-input";

// Users and API tokens (admin), and the signed-in user's own password (any role). The auth store
// validates names and passwords again (one policy, lib/auth/password.ts); these schemas only keep
// malformed requests from reaching it.

const Username = z.string().trim().min(1, { message: "Enter a user name." }).max(64, { message: "User names are at most 64 characters." });
const Password = z.string().max(256, { message: "Passwords are at most 256 characters." });
const Role = z.enum(ROLES, { message: "Choose viewer or admin." });

export interface UserRow {
  username: string;
  role: User["role"];
  createdAt: string;
  createdBy: string | null;
}

const row = (u: User): UserRow => ({ username: u.username, role: u.role, createdAt: u.createdAt, createdBy: u.createdBy });

const AddUserInput = z.object({ username: Username, role: Role, password: Password });

export async function addUserAction(input: z.input<typeof AddUserInput>): Promise<ActionResult<UserRow>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = AddUserInput.safeParse(input);
  if (!parsed.success) return fail("VALIDATION", "Please fix the highlighted fields.", zodFieldErrors(parsed.error));
  const { auth, logger } = await getServices();
  try {
    const user = await auth.createUser(parsed.data, who.user.username);
    logger.info("user added", { username: user.username, role: user.role, by: who.user.username });
    return { ok: true, data: row(user) };
  } catch (err) {
    return toActionError(err, "Adding the user");
  }
}

const SetRoleInput = z.object({ username: Username, role: Role });

export async function setUserRoleAction(input: z.input<typeof SetRoleInput>): Promise<ActionResult<UserRow>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = SetRoleInput.safeParse(input);
  if (!parsed.success) return fail("VALIDATION", "Please fix the highlighted fields.", zodFieldErrors(parsed.error));
  const { auth, logger } = await getServices();
  try {
    const user = await auth.setRole(parsed.data.username, parsed.data.role, who.user.username);
    logger.info("user role changed", { username: user.username, role: user.role, by: who.user.username });
    return { ok: true, data: row(user) };
  } catch (err) {
    return toActionError(err, "Changing the role");
  }
}

const ResetPasswordInput = z.object({ username: Username, password: Password });

/** Sets another user's password; every session of that user ends (API tokens stay). */
export async function resetUserPasswordAction(input: z.input<typeof ResetPasswordInput>): Promise<ActionResult<UserRow>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = ResetPasswordInput.safeParse(input);
  if (!parsed.success) return fail("VALIDATION", "Please fix the highlighted fields.", zodFieldErrors(parsed.error));
  if (parsed.data.username === who.user.username) return fail("VALIDATION", "Change your own password on the Account page (it asks for the current one).");
  const { auth, logger } = await getServices();
  try {
    const user = await auth.setPassword(parsed.data.username, parsed.data.password, who.user.username);
    logger.info("user password reset", { username: user.username, by: who.user.username });
    return { ok: true, data: row(user) };
  } catch (err) {
    return toActionError(err, "Setting the password");
  }
}

/** Removes a user with its sessions and API tokens; never the last admin, never yourself. */
export async function removeUserAction(username: string): Promise<ActionResult<UserRow>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = Username.safeParse(username);
  if (!parsed.success) return fail("VALIDATION", "Unknown user.");
  if (parsed.data === who.user.username) return fail("VALIDATION", "You cannot remove yourself; another admin can.");
  const { auth, logger } = await getServices();
  try {
    const user = await auth.removeUser(parsed.data, who.user.username);
    logger.info("user removed", { username: user.username, by: who.user.username });
    return { ok: true, data: row(user) };
  } catch (err) {
    return toActionError(err, "Removing the user");
  }
}

const CreateTokenInput = z.object({ username: Username, label: z.string().trim().min(1, { message: "Say what the token is for." }).max(100, { message: "Labels are at most 100 characters." }) });

/** A new API token: returned once (only its SHA-256 is stored). */
export async function createApiTokenAction(input: z.input<typeof CreateTokenInput>): Promise<ActionResult<{ token: string; username: string; label: string }>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = CreateTokenInput.safeParse(input);
  if (!parsed.success) return fail("VALIDATION", "Please fix the highlighted fields.", zodFieldErrors(parsed.error));
  const { auth, logger } = await getServices();
  try {
    const user = await auth.findUserByName(parsed.data.username);
    if (!user) return fail("NOT_FOUND", `Unknown user "${parsed.data.username}".`, { username: "Unknown user." });
    const { token } = await auth.createApiToken(user.id, parsed.data.label, who.user.username);
    logger.info("API token created", { username: user.username, label: parsed.data.label, by: who.user.username });
    return { ok: true, data: { token, username: user.username, label: parsed.data.label } };
  } catch (err) {
    return toActionError(err, "Creating the token");
  }
}

export async function revokeApiTokenAction(id: string): Promise<ActionResult<ApiTokenInfo>> {
  const who = await authorize("admin");
  if (!who.ok) return who.result;
  const parsed = z.string().regex(/^[0-9a-f]{6,64}$/).safeParse(id);
  if (!parsed.success) return fail("VALIDATION", "Unknown token.");
  const { auth, logger } = await getServices();
  try {
    const t = await auth.revokeApiToken(parsed.data, who.user.username);
    logger.info("API token revoked", { id: t.id, username: t.username, label: t.label, by: who.user.username });
    return { ok: true, data: t };
  } catch (err) {
    return toActionError(err, "Revoking the token");
  }
}

const ChangeOwnPasswordInput = z.object({
  current: z.string().min(1, { message: "Enter your current password." }).max(256),
  password: Password,
  confirm: z.string().max(256),
});

/**
 * The signed-in user's own password (any role). Needs the current one (failures count against the
 * sign-in throttle); every other session of the user ends, this browser gets a new session.
 */
export async function changeOwnPasswordAction(input: z.input<typeof ChangeOwnPasswordInput>): Promise<ActionResult<{ username: string }>> {
  const who = await authorize("viewer");
  if (!who.ok) return who.result;
  const parsed = ChangeOwnPasswordInput.safeParse(input);
  if (!parsed.success) return fail("VALIDATION", "Please fix the highlighted fields.", zodFieldErrors(parsed.error));
  if (parsed.data.password !== parsed.data.confirm) return fail("VALIDATION", "Please fix the highlighted fields.", { confirm: "The two new passwords differ." });
  const { auth, throttle, env, logger } = await getServices();
  const username = who.user.username;
  const ip = await clientIp(env.TTP_TRUST_PROXY);
  const check = await verifyPasswordThrottled({ auth, throttle }, { username, password: parsed.data.current, ip });
  if (!check.ok && check.reason === "throttled") return fail("FORBIDDEN", "Too many wrong passwords; try again later.");
  if (!check.ok) return fail("VALIDATION", "Please fix the highlighted fields.", { current: "That is not your current password." });
  try {
    const user = await auth.setPassword(username, parsed.data.password, username);
    const session = await auth.createSession(user.id);
    await setSessionCookie(session.token, env.TTP_COOKIE_SECURE);
    logger.info("own password changed", { username });
    return { ok: true, data: { username } };
  } catch (err) {
    return toActionError(err, "Changing your password");
  }
}
