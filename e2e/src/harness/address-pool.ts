/**
 * The pod addresses of one IPv4 range, with a holder count per address. Pure bookkeeping: the
 * pod network adds an address to its interface when the first holder takes it and removes it
 * when the last one gives it back.
 *
 * Two pods may hold the same address: a CNI that hands a terminating pod's IP to a new pod
 * (or a static IP given to a replacement) does exactly that, and the API server accepts two
 * pods with the same `status.podIP`. Counting holders is what keeps the address on the
 * interface for the pod still using it when the other one goes away.
 */
import { formatIpv4, parseCidr, parseIpv4 } from './ipv4.ts';

/** Options for {@link AddressPool}. */
export interface AddressPoolOptions {
  /**
   * Offset of the first address {@link AddressPool.next} hands out, from the start of the range.
   * @default 257 (`x.x.1.1` in a /16)
   */
  firstOffset?: number;
  /**
   * Addresses of the range that are never handed out, not even on request (a host end, a
   * namespace's own address). The range's first and last address are always reserved.
   * @default []
   */
  reserved?: readonly string[];
}

export class AddressPool {
  /** The range, e.g. `10.213.0.0/16`. */
  readonly cidr: string;
  readonly #start: number;
  readonly #end: number;
  readonly #first: number;
  readonly #reserved: ReadonlySet<number>;
  /** Holders per address in use. */
  readonly #holders = new Map<number, number>();
  #cursor: number;

  constructor(cidr: string, options: AddressPoolOptions = {}) {
    const range = parseCidr(cidr);
    if (range.size < 4) throw new Error(`pod range ${cidr} is too small: it needs at least 4 addresses`);
    this.cidr = cidr;
    this.#start = range.start;
    this.#end = range.start + range.size - 1;
    this.#first = range.start + (options.firstOffset ?? 257);
    if (this.#first <= this.#start || this.#first >= this.#end) throw new Error(`firstOffset ${options.firstOffset} lies outside pod range ${cidr}`);
    this.#reserved = new Set([this.#start, this.#end, ...(options.reserved ?? []).map(parseIpv4)]);
    this.#cursor = this.#first;
  }

  /**
   * Takes the next address nobody holds, from the first address upwards; released addresses
   * are reused only after the range wraps. Skips `.0` and `.255` in every /24 so no address
   * looks like a network or broadcast one. Throws when every address is held.
   */
  next(): string {
    const last = this.#end - 1;
    for (let tried = 0; tried <= last - this.#first; tried++) {
      const candidate = this.#cursor;
      this.#cursor = candidate >= last ? this.#first : candidate + 1;
      const low = candidate & 255;
      if (low === 0 || low === 255 || this.#reserved.has(candidate) || this.#holders.has(candidate)) continue;
      this.#holders.set(candidate, 1);
      return formatIpv4(candidate);
    }
    throw new Error(`pod range ${this.cidr} has no free address left`);
  }

  /**
   * Takes a chosen address, which may already be held (then it gains a holder). Returns
   * whether this is its first holder. Throws, naming the address, when it is not an IPv4
   * address of the range or is reserved.
   */
  take(address: string): { address: string; first: boolean } {
    let value: number;
    try {
      value = parseIpv4(address);
    } catch {
      throw new Error(`pod IP ${JSON.stringify(address)} is not an IPv4 address`);
    }
    if (value < this.#start || value > this.#end) throw new Error(`pod IP ${address} is outside the pod range ${this.cidr}`);
    if (this.#reserved.has(value)) throw new Error(`pod IP ${address} is reserved in the pod range ${this.cidr} (network, broadcast or host address)`);
    const holders = this.#holders.get(value) ?? 0;
    this.#holders.set(value, holders + 1);
    return { address: formatIpv4(value), first: holders === 0 };
  }

  /** Gives back one hold. Returns whether that was the last holder; an address nobody holds is ignored (false). */
  give(address: string): boolean {
    let value: number;
    try {
      value = parseIpv4(address);
    } catch {
      return false;
    }
    const holders = this.#holders.get(value);
    if (holders === undefined) return false;
    if (holders > 1) {
      this.#holders.set(value, holders - 1);
      return false;
    }
    this.#holders.delete(value);
    return true;
  }

  /** How many pods hold `address` (0 when none). */
  holders(address: string): number {
    try {
      return this.#holders.get(parseIpv4(address)) ?? 0;
    } catch {
      return 0;
    }
  }

  /** Forgets every hold. */
  clear(): void {
    this.#holders.clear();
  }
}
