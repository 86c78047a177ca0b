/**
 * A one-reader queue that hands over everything buffered at once, so a burst of changes
 * becomes one stream message instead of many.
 */
export class Channel<T> {
  #items: T[] = [];
  #closed = false;
  #error: unknown;
  #wake?: () => void;

  push(item: T): void {
    if (this.#closed) return;
    this.#items.push(item);
    this.#notify();
  }

  /** Ends the reader after what is buffered; with an error, the reader throws it. */
  close(error?: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#error = error;
    this.#notify();
  }

  get closed(): boolean {
    return this.#closed;
  }

  async *batches(): AsyncGenerator<T[]> {
    for (;;) {
      if (this.#items.length > 0) {
        const batch = this.#items;
        this.#items = [];
        yield batch;
        continue;
      }
      if (this.#closed) {
        if (this.#error !== undefined) throw this.#error;
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
