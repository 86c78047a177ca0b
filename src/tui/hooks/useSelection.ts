import { useCallback, useRef, useState } from "react";

export interface Selection {
  /** Index of the selected row, or -1 when there are none. */
  index: number;
  /** Index of the first visible row. */
  offset: number;
  by(delta: number): void;
  first(): void;
  last(): void;
}

interface State {
  selected?: string;
  offset: number;
}

/** Where the cursor and the viewport are for these keys, keeping the cursor in view. */
function place(keys: readonly string[], rows: number, state: State): { index: number; offset: number } {
  if (keys.length === 0) return { index: -1, offset: 0 };
  const found = state.selected === undefined ? -1 : keys.indexOf(state.selected);
  const index = found >= 0 ? found : 0;
  let offset = Math.min(state.offset, Math.max(0, keys.length - rows));
  if (index < offset) offset = index;
  if (index >= offset + rows) offset = index - rows + 1;
  return { index, offset };
}

/**
 * A cursor over rows identified by key, so it stays on the same row while rows are added
 * above it; the viewport of `visible` rows keeps the cursor in view. Moves are applied to the
 * latest state, so several key presses in one burst all count.
 */
export function useSelection(keys: readonly string[], visible: number): Selection {
  const rows = Math.max(1, visible);
  const [state, setState] = useState<State>({ offset: 0 });
  const latest = useRef({ keys, rows });
  latest.current = { keys, rows };
  const move = useCallback((to: (index: number, count: number) => number) => {
    setState((prev) => {
      const { keys: k, rows: r } = latest.current;
      if (k.length === 0) return prev;
      const here = place(k, r, prev);
      const next = Math.max(0, Math.min(k.length - 1, to(here.index, k.length)));
      return { selected: k[next], offset: place(k, r, { selected: k[next], offset: here.offset }).offset };
    });
  }, []);
  const by = useCallback((delta: number) => move((i) => i + delta), [move]);
  const first = useCallback(() => move(() => 0), [move]);
  const last = useCallback(() => move((_, n) => n - 1), [move]);
  return { ...place(keys, rows, state), by, first, last };
}
