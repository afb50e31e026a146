/** Limits of one batch of pasted sample events (the dashboard's test panel); no imports, so client code can share them. */
export const MAX_SAMPLE_EVENTS = 1000;
export const MAX_SAMPLE_BYTES = 1024 * 1024;
