"use client";
import { useSyncExternalStore } from "react";

const DARK_QUERY = "(prefers-color-scheme: dark)";

function subscribe(onChange: () => void): () => void {
  const media = window.matchMedia(DARK_QUERY);
  media.addEventListener("change", onChange);
  // The root layout re-renders <html data-theme> when the theme cookie changes (a server action).
  const observer = new MutationObserver(onChange);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  return () => {
    media.removeEventListener("change", onChange);
    observer.disconnect();
  };
}

function resolved(): "light" | "dark" {
  const pinned = document.documentElement.dataset.theme;
  if (pinned === "light" || pinned === "dark") return pinned;
  return window.matchMedia(DARK_QUERY).matches ? "dark" : "light";
}

/** The theme on screen now ("system" resolved through prefers-color-scheme); "light" while rendering on the server. */
export function useResolvedTheme(): "light" | "dark" {
  return useSyncExternalStore(subscribe, resolved, () => "light");
}

/** Monaco's built-in theme matching the console's. */
export function useMonacoTheme(): "vs" | "vs-dark" {
  return useResolvedTheme() === "dark" ? "vs-dark" : "vs";
}
