export * from "./types";
export { openAuthStore, DEFAULT_SESSION_TTL_MS, API_TOKEN_LABEL_MAX_LENGTH, type AuthStoreOptions } from "./auth-store";
export { LoginThrottle, openLoginThrottle, LOGIN_THROTTLE_TABLE, type LoginThrottleOptions, type ThrottledAttempt } from "./login-throttle";
export { verifyPasswordThrottled, type PasswordCheck, type PasswordCheckContext, type PasswordCheckInput } from "./sign-in";
export { clientAddress } from "./client-address";
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
