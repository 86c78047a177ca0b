// Waiting on what Ink renders, for the TUI tests that drive a real workflow.
import type { render } from "ink-testing-library";
import { eventually } from "../support/env.ts";

export type Rendered = ReturnType<typeof render>;

/** Waits until the latest frame satisfies `check`; returns that frame. */
export async function frameWhere(ui: Rendered, check: (frame: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  return eventually(() => {
    const frame = ui.lastFrame() ?? "";
    return check(frame) ? frame : undefined;
  }, timeoutMs, `a frame with ${what}; last frame:\n${ui.lastFrame()}`);
}

export const has = (...parts: string[]) => (frame: string) => parts.every((p) => frame.includes(p));
