import { useCallback, useEffect, useRef, useState } from "react";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorText, isAbort } from "../api.ts";

export interface Polled<T> {
  /** The last answer; kept while a later read fails. */
  data?: T;
  /** Why the last read failed. */
  error?: string;
  /** The server said no for good (not_found, invalid_argument): no more reads. */
  fatal: boolean;
  /** Read again now (after a change this page made). */
  reload(): void;
}

/** After a failed read, the next comes this much later. */
const FAILED_DELAY_MS = 5000;

const PERMANENT = new Set([Code.NotFound, Code.InvalidArgument, Code.PermissionDenied, Code.Unimplemented]);

/**
 * A unary read repeated while the component lives, for what has no watch of its own in the API
 * (schedules: their fires change the record, their workflows' status does not). `interval` is
 * the pause after a read, fixed or from its answer (sooner when something is due). `read` gets a
 * signal that aborts when the component goes away or the deps change.
 */
export function usePolled<T>(
  read: (signal: AbortSignal) => Promise<T>,
  interval: number | ((data: T) => number),
  deps: readonly unknown[],
): Polled<T> {
  const [state, setState] = useState<Omit<Polled<T>, "reload">>({ fatal: false });
  const [generation, setGeneration] = useState(0);
  const readRef = useRef(read);
  readRef.current = read;
  const intervalRef = useRef(interval);
  intervalRef.current = interval;
  useEffect(() => {
    const abort = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      let delay = FAILED_DELAY_MS;
      try {
        const data = await readRef.current(abort.signal);
        if (abort.signal.aborted) return;
        setState({ data, fatal: false });
        const next = intervalRef.current;
        delay = typeof next === "number" ? next : next(data);
      } catch (err) {
        if (abort.signal.aborted || isAbort(err)) return;
        const fatal = err instanceof ConnectError && PERMANENT.has(err.code);
        setState((s) => ({ data: fatal ? undefined : s.data, error: errorText(err), fatal }));
        if (fatal) return;
      }
      timer = setTimeout(tick, delay);
    };
    void tick();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}
