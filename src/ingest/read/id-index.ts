// A map from integer ids (0 … 2^32 − 2) to int32 values in typed arrays, for joins over millions of rows:
// built once (open addressing, doubling as it fills), then frozen into a form worker threads share without a
// copy — a direct table indexed by id when the ids are dense (the public files' ids are 1…N), otherwise the
// hash table itself. Lookups never allocate.

/** The frozen, shareable form (plain typed arrays over SharedArrayBuffers: it can be posted to a worker). */
export type FrozenIdIndex =
  | { kind: 'direct'; values: Int32Array }
  | { kind: 'hash'; keys: Uint32Array; values: Int32Array; mask: number };

const EMPTY = 0xffffffff;
export const MAX_ID = 0xfffffffe;

function hashOf(id: number, mask: number): number {
  return (Math.imul(id, 0x9e3779b1) >>> 0) & mask;
}

function sharedInt32(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}

export class IdIndexBuilder {
  private keys: Uint32Array;
  private values: Int32Array;
  private mask: number;
  private count = 0;
  private maxId = 0;

  /** @param expected ids to be added (sizes the table once). @defaultValue 512 */
  constructor(expected = 512) {
    let slots = 1024;
    while (slots < expected * 2) slots *= 2;
    this.keys = new Uint32Array(slots).fill(EMPTY);
    this.values = new Int32Array(slots);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds id → value; returns false (and keeps the first value) when the id is already there. */
  add(id: number, value: number): boolean {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    let at = hashOf(id, this.mask);
    for (;;) {
      const key = this.keys[at];
      if (key === EMPTY) break;
      if (key === id) return false;
      at = (at + 1) & this.mask;
    }
    this.keys[at] = id;
    this.values[at] = value;
    this.count++;
    if (id > this.maxId) this.maxId = id;
    return true;
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Uint32Array(keys.length * 2).fill(EMPTY);
    this.values = new Int32Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    this.count = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) this.add(keys[i], values[i]);
  }

  /** The shareable form: direct when the largest id is at most 4 × the count (+ 1024), else hashed. */
  freeze(): FrozenIdIndex {
    if (this.maxId <= this.count * 4 + 1024) {
      const direct = sharedInt32(this.maxId + 1).fill(-1);
      for (let i = 0; i < this.keys.length; i++)
        if (this.keys[i] !== EMPTY) direct[this.keys[i]] = this.values[i];
      return { kind: 'direct', values: direct };
    }
    const keys = new Uint32Array(new SharedArrayBuffer(this.keys.length * 4));
    keys.set(this.keys);
    const values = sharedInt32(this.values.length);
    values.set(this.values);
    return { kind: 'hash', keys, values, mask: this.mask };
  }
}

/** The value of `id`, or −1 when it is not in the index. */
export function lookupId(index: FrozenIdIndex, id: number): number {
  if (index.kind === 'direct') return id < index.values.length ? index.values[id] : -1;
  const { keys, values, mask } = index;
  let at = hashOf(id, mask);
  for (;;) {
    const key = keys[at];
    if (key === id) return values[at];
    if (key === EMPTY) return -1;
    at = (at + 1) & mask;
  }
}
