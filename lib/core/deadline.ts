/**
 * When some work must be over. A handler makes one from its platform's limit (budgets.ts)
 * as a request arrives, and passes it down: the JWKS fetch and every FaunaDB query of that
 * request end by it, and what remains of it is what they may take.
 */
export class Deadline {
  #signal: AbortSignal | undefined;

  private constructor(
    /** The instant, in ms since the epoch. */
    readonly at: number,
  ) {}

  /** `ms` after `from` (default: now). */
  static after(ms: number, from: number = Date.now()): Deadline {
    return new Deadline(from + ms);
  }

  /** At an instant (ms since the epoch). */
  static at(instant: number): Deadline {
    return new Deadline(instant);
  }

  /** Milliseconds left at `now`, never below 0. */
  remaining(now: number = Date.now()): number {
    return Math.max(0, this.at - now);
  }

  /** The earlier of this deadline and `ms` from now: the share of it one step may take. */
  within(ms: number, now: number = Date.now()): Deadline {
    return now + ms < this.at ? new Deadline(now + ms) : this;
  }

  /**
   * Settles like `p`, or rejects with `late()` at the instant, whichever comes first: a
   * wait bounded by this deadline that leaves `p` running (its own timeout ends it).
   */
  race<T>(p: Promise<T>, late: () => Error): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late()), this.remaining());
    });
    return Promise.race([p, expired]).finally(() => clearTimeout(timer));
  }

  /**
   * Aborts at the instant (a `TimeoutError`). Made on first use, counting from then:
   * most requests never need it.
   */
  get signal(): AbortSignal {
    this.#signal ??= AbortSignal.timeout(Math.max(1, this.remaining()));
    return this.#signal;
  }
}
