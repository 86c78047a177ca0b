/**
 * The determinism guard: workflow code that reads the clock or the random generator, or
 * starts a timer or I/O, while its workflow task runs must not diverge on replay. No bundler
 * is involved: the process's globals are wrapped once, and each wrapper asks async-local
 * storage whether the caller is workflow code (the scope a WorkflowExecution runs its code
 * in, which every continuation of that code inherits). Outside that scope, in activities and
 * in dfut itself, every global behaves as Node's own.
 *
 * Inside the scope: `Date.now()` and `new Date()` give the time of the event being processed,
 * `Math.random()` the run's seeded generator; `setTimeout`, `setInterval`, `setImmediate` and
 * `fetch` fail the workflow task with a NonDeterminismError naming the call and where the
 * workflow code made it (use ctx.sleep and activities instead).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { NonDeterminismError } from "../common/errors.ts";
import { userLocation } from "../common/stack.ts";

export interface DeterministicScope {
  readonly workflowType: string;
  /** The time of the event being processed, ms. */
  now(): number;
  random(): number;
  /** Records the violation so the task fails, whatever the code does with the thrown error. */
  violation(error: NonDeterminismError): void;
}

const scopes = new AsyncLocalStorage<DeterministicScope>();
let installed = false;

/** Runs `fn` (the workflow function's start) as workflow code. */
export function runAsWorkflowCode<T>(scope: DeterministicScope, fn: () => T): T {
  installGuard();
  return scopes.run(scope, fn);
}

/** Runs `fn` as dfut's code even when called from workflow code. */
export function outsideWorkflowCode<T>(fn: () => T): T {
  return scopes.exit(fn);
}

function installGuard(): void {
  if (installed) return;
  installed = true;
  const RealDate = Date;
  const realNow = Date.now.bind(Date);
  const realRandom = Math.random.bind(Math);

  // new Date() and Date.now() read the event's time in workflow code; everything else as before.
  class GuardedDate extends RealDate {
    constructor(...args: ConstructorParameters<typeof Date> | []) {
      const scope = scopes.getStore();
      if (args.length === 0 && scope) super(scope.now());
      else super(...(args as ConstructorParameters<typeof Date>));
    }
    static override now(): number {
      return scopes.getStore()?.now() ?? realNow();
    }
    // Dates made before the guard, or by code holding the original, are still Dates.
    static [Symbol.hasInstance](value: unknown): boolean {
      return value instanceof RealDate;
    }
  }
  globalThis.Date = GuardedDate as DateConstructor;
  Math.random = () => scopes.getStore()?.random() ?? realRandom();

  forbid("setTimeout", "use ctx.sleep for a durable timer");
  forbid("setInterval", "use ctx.sleep in a loop");
  forbid("setImmediate", "await a ctx future instead");
  if (typeof globalThis.fetch === "function") forbid("fetch", "do I/O in an activity");
}

type Global = "setTimeout" | "setInterval" | "setImmediate" | "fetch";

function forbid(name: Global, instead: string): void {
  const real = globalThis[name] as (...args: unknown[]) => unknown;
  const guarded = function (this: unknown, ...args: unknown[]) {
    const scope = scopes.getStore();
    if (scope) {
      const at = userLocation(new Error().stack ?? "");
      const error = new NonDeterminismError(
        `workflow ${scope.workflowType} called ${name}${at ? ` at ${at}` : ""} while its workflow task ran: ` +
          `a replay would not see it the same way; ${instead}`,
      );
      scope.violation(error);
      throw error;
    }
    return real.apply(this, args);
  };
  // Node's timers carry promisified forms and other properties on the function itself.
  Object.assign(guarded, real);
  (globalThis as Record<Global, unknown>)[name] = guarded;
}
