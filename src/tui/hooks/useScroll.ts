import { useCallback, useRef, useState } from "react";

export interface Scroll {
  /** Index of the first visible row. */
  offset: number;
  /** True while the view sticks to the newest rows as they arrive. */
  following: boolean;
  /** Moves the view by `delta` rows (negative: towards the first row). */
  by(delta: number): void;
  top(): void;
  bottom(): void;
}

interface State {
  offset: number;
  following: boolean;
}

/**
 * A viewport over `total` rows, `visible` of them at once. It follows the tail until the user
 * scrolls up, and follows again once they scroll back to the bottom. Moves are applied to the
 * latest state, so several key presses in one burst all count.
 */
export function useScroll(total: number, visible: number): Scroll {
  const [state, setState] = useState<State>({ offset: 0, following: true });
  const max = Math.max(0, total - Math.max(1, visible));
  const latestMax = useRef(max);
  latestMax.current = max;
  const by = useCallback((delta: number) => {
    setState((prev) => {
      const m = latestMax.current;
      const from = prev.following ? m : Math.min(prev.offset, m);
      const next = Math.max(0, Math.min(m, from + delta));
      return { offset: next, following: next >= m };
    });
  }, []);
  const top = useCallback(() => setState({ offset: 0, following: latestMax.current === 0 }), []);
  const bottom = useCallback(() => setState({ offset: latestMax.current, following: true }), []);
  const offset = state.following ? max : Math.min(state.offset, max);
  return { offset, following: state.following || offset >= max, by, top, bottom };
}
