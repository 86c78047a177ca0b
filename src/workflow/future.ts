/**
 * The result of a durable operation (activity, timer, signal). Awaitable like a promise;
 * `get()` returns the plain promise for code written in that style.
 */
export class DurableFuture<T> implements PromiseLike<T> {
  readonly #promise: Promise<T>;
  #settled = false;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;
  #onCancel: (() => void) | undefined;

  constructor() {
    this.#promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A future nobody awaits must not crash the worker with an unhandled rejection.
    this.#promise.catch(() => undefined);
  }

  get settled(): boolean {
    return this.#settled;
  }

  get(): Promise<T> {
    return this.#promise;
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onRejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#promise.then(onFulfilled, onRejected);
  }

  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#promise.catch(onRejected);
  }

  /**
   * Cancels what the future waits for, when it is still pending: an activity (its running
   * attempt is aborted and not retried), a timer, a child workflow (asked to cancel), a wait for
   * a signal or a condition. The future rejects with CanceledError; the cancellation is recorded.
   */
  cancel(): void {
    if (!this.#settled) this.#onCancel?.();
  }

  /** @internal What cancel() does. */
  onCancel(cancel: () => void): void {
    this.#onCancel = cancel;
  }

  /** @internal */
  resolve(value: T): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve(value);
  }

  /** @internal */
  reject(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(error);
  }
}
