import { useCallback, useState } from "react";

export interface Selection {
  /** Index of the selected row, or -1 when there are none. */
  index: number;
  /** Index of the first visible row. */
  offset: number;
  by(delta: number): void;
  first(): void;
  last(): void;
}

/**
 * A cursor over rows identified by key, so it stays on the same row while rows are added
 * above it; the viewport of `visible` rows keeps the cursor in view.
 */
export function useSelection(keys: readonly string[], visible: number): Selection {
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [offsetState, setOffset] = useState(0);
  const found = selected === undefined ? -1 : keys.indexOf(selected);
  const index = keys.length === 0 ? -1 : found >= 0 ? found : 0;
  const rows = Math.max(1, visible);
  const maxOffset = Math.max(0, keys.length - rows);
  let offset = Math.min(offsetState, maxOffset);
  if (index >= 0 && index < offset) offset = index;
  if (index >= offset + rows) offset = index - rows + 1;
  const select = useCallback(
    (next: number) => {
      if (keys.length === 0) return;
      const clamped = Math.max(0, Math.min(keys.length - 1, next));
      setSelected(keys[clamped]);
      setOffset(clamped < offset ? clamped : clamped >= offset + rows ? clamped - rows + 1 : offset);
    },
    [keys, rows, offset],
  );
  const by = useCallback((delta: number) => select(Math.max(0, index) + delta), [select, index]);
  const first = useCallback(() => select(0), [select]);
  const last = useCallback(() => select(keys.length - 1), [select, keys.length]);
  return { index, offset, by, first, last };
}
