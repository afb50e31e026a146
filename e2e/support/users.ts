/** Users the harness creates in every run's fresh database (passwords are for that throwaway database only). */
export const USERS = {
  admin: { username: "admin", password: "admin-e2e-password", role: "admin" },
  viewer: { username: "viewer", password: "viewer-e2e-password", role: "viewer" },
  // Only the throttling spec fails sign-ins for this one, so admin and viewer are never locked out.
  throttled: { username: "throttled", password: "throttled-e2e-password", role: "viewer" },
} as const;

export type UserKey = keyof typeof USERS;
