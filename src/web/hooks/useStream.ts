import { useEffect, useRef, useState } from "react";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorText, isAbort } from "../api.ts";

export interface StreamState {
  /** Open and delivering. */
  live: boolean;
  /** Shown while the stream is down; it retries by itself unless `fatal`. */
  error?: string;
  /** The server said no for good (e.g. not_found): no retry. */
  fatal: boolean;
}

const PERMANENT = new Set([Code.NotFound, Code.InvalidArgument, Code.PermissionDenied, Code.Unimplemented]);

/**
 * Runs a server stream for as long as the component lives, re-opening it with a growing
 * delay after a failure. `open` gets a fresh signal each time and must reset its state
 * (the server resends everything on a new stream).
 */
export function useStream(open: (signal: AbortSignal) => Promise<void>, deps: readonly unknown[]): StreamState {
  const [state, setState] = useState<StreamState>({ live: false, fatal: false });
  const openRef = useRef(open);
  openRef.current = open;
  useEffect(() => {
    const abort = new AbortController();
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      if (abort.signal.aborted) return;
      setState((s) => ({ ...s, live: true }));
      try {
        await openRef.current(abort.signal);
        attempt = 0;
        setState({ live: false, fatal: false });
      } catch (err) {
        if (abort.signal.aborted || isAbort(err)) return;
        const fatal = err instanceof ConnectError && PERMANENT.has(err.code);
        setState({ live: false, fatal, error: errorText(err) });
        if (fatal) return;
        attempt++;
        timer = setTimeout(run, Math.min(500 * 2 ** attempt, 10_000));
      }
    };
    void run();
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return state;
}
