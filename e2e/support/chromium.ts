/** Debian's Chromium (never a downloaded browser) and the flags that make it quiet and offline-safe here. */
export const CHROMIUM_PATH = process.env.TTP_CHROMIUM ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
