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

/** Event rows of the table: lines that start with a seq number. */
export function seqs(frame: string): number[] {
  return frame
    .split("\n")
    .map((line) => /^\s*(\d+)\s{2}\d\d:\d\d:\d\d\.\d{3}\s/.exec(line)?.[1])
    .filter((s): s is string => s !== undefined)
    .map(Number);
}
