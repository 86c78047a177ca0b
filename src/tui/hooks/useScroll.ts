import { useCallback, useState } from "react";

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

/**
 * A viewport over `total` rows, `visible` of them at once. It follows the tail until the user
 * scrolls up, and follows again once they scroll back to the bottom.
 */
export function useScroll(total: number, visible: number): Scroll {
  const [state, setState] = useState({ offset: 0, following: true });
  const max = Math.max(0, total - Math.max(1, visible));
  const offset = state.following ? max : Math.min(state.offset, max);
  const by = useCallback(
    (delta: number) =>
      setState((prev) => {
        const from = prev.following ? max : Math.min(prev.offset, max);
        const next = Math.max(0, Math.min(max, from + delta));
        return { offset: next, following: next >= max };
      }),
    [max],
  );
  const top = useCallback(() => setState({ offset: 0, following: max === 0 }), [max]);
  const bottom = useCallback(() => setState({ offset: max, following: true }), [max]);
  return { offset, following: state.following || offset >= max, by, top, bottom };
}
