/**
 * Waits that follow the emulator's clock without depending on it: each one is due once
 * its time has passed on the emulator's clock or in real time, whichever comes first. So
 * a test moves the clock to make commits and builds happen at once (and, with long
 * delays, exactly when it says), while a frozen clock never holds anything forever.
 */
import type { Clock } from "../clock.ts";

interface Wait {
  dueNs: bigint;
  seq: number;
  fn: () => void;
  timer: NodeJS.Timeout;
}

export class Timers {
  private readonly waits = new Set<Wait>();
  private seq = 0;
  private readonly stopClock: () => void;

  constructor(private readonly clock: Clock) {
    this.stopClock = clock.onChange(() => this.fireDue());
  }

  /** Runs `fn` once `ms` have passed (clock or real time); returns how to cancel it. */
  after(ms: number, fn: () => void): () => void {
    const w: Wait = {
      dueNs: this.clock.nowNs() + BigInt(Math.round(ms * 1_000_000)),
      seq: this.seq++,
      fn,
      timer: setTimeout(() => this.fire(w), Math.min(Math.max(ms, 0), 2_147_483_647)),
    };
    this.waits.add(w);
    return () => this.cancel(w);
  }

  /** Everything due by the clock, in the order it fell due. */
  private fireDue(): void {
    const now = this.clock.nowNs();
    const due = [...this.waits].filter((w) => w.dueNs <= now).sort((a, b) => (a.dueNs < b.dueNs ? -1 : a.dueNs > b.dueNs ? 1 : a.seq - b.seq));
    for (const w of due) this.fire(w);
  }

  private fire(w: Wait): void {
    if (!this.waits.has(w)) return;
    this.cancel(w);
    w.fn();
  }

  private cancel(w: Wait): void {
    clearTimeout(w.timer);
    this.waits.delete(w);
  }

  /** Drops every wait (the emulator is closing). */
  dispose(): void {
    for (const w of [...this.waits]) this.cancel(w);
    this.stopClock();
  }
}
