/** Long-running commands end on Ctrl-C or SIGTERM, after cleaning up. */

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Resolves at the first of SIGINT, SIGTERM, SIGHUP; a second one ends the process at once. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      for (const s of SIGNALS) process.removeListener(s, onSignal);
      for (const s of SIGNALS) process.once(s, () => process.exit(130));
      resolve(signal);
    };
    for (const s of SIGNALS) process.on(s, onSignal);
  });
}

/** Runs the clean-up steps in order; one failing does not skip the others. */
export async function cleanUp(steps: Array<(() => Promise<unknown>) | undefined>): Promise<void> {
  for (const step of steps) {
    if (step) await step().catch((err: unknown) => console.error(`dfut: while stopping: ${(err as Error)?.message ?? err}`));
  }
}
