/**
 * Per-key call chains: calls with the same key run one at a time, in call order, each after the
 * previous one settled (a failure does not break the chain); different keys run side by side.
 */
export class CallChains {
  /** The tail of each key's chain; settled promises only. */
  readonly #tails = new Map<string, Promise<void>>();

  /** Runs `task` after every earlier task of the same key has settled. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Resolves once every call started so far has settled. */
  async settled(): Promise<void> {
    await Promise.all(this.#tails.values());
  }
}
