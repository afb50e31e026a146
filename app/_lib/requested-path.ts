/** Request header (set by proxy.ts) carrying the page a signed-out visitor asked for, so sign-in can return there. */
export const REQUESTED_PATH_HEADER = "x-ttp-requested-path";
