/**
 * A bounded set of recently seen keys (insertion order, oldest evicted first). Used by the
 * workflow to ignore provider message ids it has already handled without growing forever;
 * Postgres' unique key is the second, unbounded line of defence.
 */
export class RecentKeys {
  private readonly keys: Set<string>;

  /** @param initial keys carried over (e.g. across continue-as-new), oldest first; @param capacity max keys kept */
  constructor(
    initial: readonly string[],
    private readonly capacity: number,
  ) {
    this.keys = new Set(initial.slice(-capacity));
  }

  /** Whether `key` is among the kept keys. */
  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Records `key` as the newest (moving it if already kept), evicting the oldest beyond `capacity`. */
  add(key: string): void {
    this.keys.delete(key);
    this.keys.add(key);
    while (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next().value;
      if (oldest === undefined) break;
      this.keys.delete(oldest);
    }
  }

  /** Keys, oldest first. */
  toArray(): string[] {
    return [...this.keys];
  }
}
