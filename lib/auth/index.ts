export * from "./types";
export { openAuthStore, DEFAULT_SESSION_TTL_MS, API_TOKEN_LABEL_MAX_LENGTH, type AuthStoreOptions } from "./auth-store";
export { LoginThrottle, type LoginThrottleOptions, type ThrottleDecision } from "./login-throttle";
export {
  PASSWORD_MIN_LENGTH,
  PASSWORD_MAX_LENGTH,
  USERNAME_MAX_LENGTH,
  USERNAME_PATTERN,
  passwordProblem,
  usernameProblem,
  hashPassword,
  verifyPasswordHash,
} from "./password";
