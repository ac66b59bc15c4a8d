/**
 * An ordered list kept in chunks, so that inserting into an index of hundreds of
 * thousands of entries moves a few hundred pointers, not the whole index, and a
 * range read starts with a binary search instead of a scan.
 */
const MAX_CHUNK = 512;

export interface Cursor {
  chunk: number;
  index: number;
}

export class SortedList<T> {
  private chunks: T[][] = [];
  private count = 0;

  constructor(private readonly cmp: (a: T, b: T) => number) {}

  get size(): number {
    return this.count;
  }

  /** Position of the first item for which `probe(item) >= 0` (probe: item compared to the sought key). */
  seek(probe: (item: T) => number): Cursor {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length;
    // Find the first chunk whose last item is >= key.
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = chunks[mid]!;
      if (probe(c[c.length - 1]!) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (lo === chunks.length) return { chunk: lo, index: 0 };
    const c = chunks[lo]!;
    let a = 0;
    let b = c.length;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (probe(c[mid]!) < 0) a = mid + 1;
      else b = mid;
    }
    return { chunk: lo, index: a };
  }

  insert(item: T): boolean {
    if (this.chunks.length === 0) {
      this.chunks.push([item]);
      this.count = 1;
      return true;
    }
    const at = this.seek((x) => this.cmp(x, item));
    let ci = at.chunk;
    let ii = at.index;
    if (ci === this.chunks.length) {
      ci = this.chunks.length - 1;
      ii = this.chunks[ci]!.length;
    } else if (this.cmp(this.chunks[ci]![ii]!, item) === 0) {
      return false;
    }
    const c = this.chunks[ci]!;
    c.splice(ii, 0, item);
    this.count++;
    if (c.length > MAX_CHUNK) this.chunks.splice(ci + 1, 0, c.splice(c.length >> 1));
    return true;
  }

  /** Removes the stored item equal to `item`; returns it (undefined when there is none). */
  remove(item: T): T | undefined {
    const at = this.seek((x) => this.cmp(x, item));
    const c = this.chunks[at.chunk];
    if (!c || at.index >= c.length) return undefined;
    const stored = c[at.index]!;
    if (this.cmp(stored, item) !== 0) return undefined;
    c.splice(at.index, 1);
    this.count--;
    if (c.length === 0) this.chunks.splice(at.chunk, 1);
    return stored;
  }

  /** A list of already sorted, distinct items, built in one pass. */
  static fromSorted<T>(items: readonly T[], cmp: (a: T, b: T) => number): SortedList<T> {
    const l = new SortedList(cmp);
    for (let i = 0; i < items.length; i += MAX_CHUNK >> 1) l.chunks.push(items.slice(i, i + (MAX_CHUNK >> 1)));
    l.count = items.length;
    return l;
  }

  find(item: T): T | undefined {
    const at = this.seek((x) => this.cmp(x, item));
    const c = this.chunks[at.chunk];
    if (!c || at.index >= c.length) return undefined;
    const x = c[at.index]!;
    return this.cmp(x, item) === 0 ? x : undefined;
  }

  /** Items from the first one >= key upwards. */
  *ascendFrom(probe?: (item: T) => number): Generator<T> {
    let { chunk, index } = probe ? this.seek(probe) : { chunk: 0, index: 0 };
    while (chunk < this.chunks.length) {
      const c = this.chunks[chunk]!;
      if (index < c.length) {
        yield c[index]!;
        index++;
      } else {
        chunk++;
        index = 0;
      }
    }
  }

  /** Items strictly below the first one >= key, downwards (all of them when no key). */
  *descendBelow(probe?: (item: T) => number): Generator<T> {
    let chunk: number;
    let index: number;
    if (probe) {
      const at = this.seek(probe);
      chunk = at.chunk;
      index = at.index - 1;
    } else {
      chunk = this.chunks.length - 1;
      index = chunk >= 0 ? this.chunks[chunk]!.length - 1 : -1;
    }
    while (chunk >= 0) {
      if (chunk >= this.chunks.length) {
        chunk = this.chunks.length - 1;
        index = chunk >= 0 ? this.chunks[chunk]!.length - 1 : -1;
        continue;
      }
      if (index >= 0) {
        yield this.chunks[chunk]![index]!;
        index--;
      } else {
        chunk--;
        if (chunk >= 0) index = this.chunks[chunk]!.length - 1;
      }
    }
  }
}

/** Merges two sorted streams into one, in `cmp` order (ties: `a` first). */
export function* mergeSorted<T>(a: Iterable<T>, b: Iterable<T>, cmp: (x: T, y: T) => number): Generator<T> {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  let x = ia.next();
  let y = ib.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && cmp(x.value, y.value) <= 0)) {
      yield x.value as T;
      x = ia.next();
    } else {
      yield y.value;
      y = ib.next();
    }
  }
}
