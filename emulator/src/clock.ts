/** The emulator's time: real time plus an offset, or frozen, so tests expire ttls without sleeping. */
import type { EmulatorClock } from "./api.ts";

const toMs = (t: Date | string | number): number => {
  const ms = t instanceof Date ? t.getTime() : typeof t === "string" ? Date.parse(t) : t;
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${String(t)}`);
  return ms;
};

export class Clock implements EmulatorClock {
  private offsetNs = 0n;
  private frozenNs: bigint | undefined;
  private readonly listeners = new Set<() => void>();

  /** Called after every jump (set, advance, freeze, resume): what waits on the clock rechecks. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(): void {
    for (const fn of [...this.listeners]) fn();
  }

  get frozen(): boolean {
    return this.frozenNs !== undefined;
  }

  private realNs(): bigint {
    return BigInt(Date.now()) * 1_000_000n;
  }

  nowNs(): bigint {
    return this.frozenNs ?? this.realNs() + this.offsetNs;
  }

  now(): Date {
    return new Date(Number(this.nowNs() / 1_000_000n));
  }

  set(t: Date | string | number): void {
    const target = BigInt(Math.round(toMs(t))) * 1_000_000n;
    if (this.frozenNs !== undefined) this.frozenNs = target;
    else this.offsetNs = target - this.realNs();
    this.changed();
  }

  advance(ms: number): void {
    const d = BigInt(Math.round(ms * 1_000_000));
    if (this.frozenNs !== undefined) this.frozenNs += d;
    else this.offsetNs += d;
    this.changed();
  }

  freeze(t?: Date | string | number): void {
    this.frozenNs = t === undefined ? this.nowNs() : BigInt(Math.round(toMs(t))) * 1_000_000n;
    this.changed();
  }

  resume(): void {
    if (this.frozenNs === undefined) return;
    this.offsetNs = this.frozenNs - this.realNs();
    this.frozenNs = undefined;
    this.changed();
  }
}
