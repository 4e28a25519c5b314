/**
 * The pod addresses of one IPv4 or IPv6 range, with a holder count per address. Pure
 * bookkeeping: the pod network adds an address to its interface when the first holder takes it
 * and removes it when the last one gives it back.
 *
 * Two pods may hold the same address: a CNI that hands a terminating pod's IP to a new pod
 * (or a static IP given to a replacement) does exactly that, and the API server accepts two
 * pods with the same `status.podIP`. Counting holders is what keeps the address on the
 * interface for the pod still using it when the other one goes away.
 *
 * The client network keeps its source addresses in a pool too (one holder each).
 */
import { familyOf, type IpFamily } from './ip-family.ts';
import { formatIpv4, parseCidr, parseIpv4 } from './ipv4.ts';
import { formatIpv6, parseCidr6, parseIpv6 } from './ipv6.ts';

/** Options for {@link AddressPool}. */
export interface AddressPoolOptions {
  /**
   * Offset of the first address {@link AddressPool.next} hands out, from the start of the range.
   * @default 257 (`x.x.1.1` in an IPv4 /16); 65537 (`<prefix>::1:1`) in an IPv6 range
   */
  firstOffset?: number;
  /**
   * Addresses of the range that are never handed out, not even on request (a host end, a
   * namespace's own address). The range's first and last address are always reserved.
   * @default []
   */
  reserved?: readonly string[];
  /**
   * Who holds the addresses, in error messages ("client IP ... is outside the client range").
   * @default 'pod'
   */
  label?: string;
}

/** How one family's addresses are read and written. */
interface Codec {
  parse(text: string): bigint;
  format(value: bigint): string;
}

const CODECS: Record<IpFamily, Codec> = {
  IPv4: { parse: (text) => BigInt(parseIpv4(text)), format: (value) => formatIpv4(Number(value)) },
  IPv6: { parse: parseIpv6, format: formatIpv6 },
};

export class AddressPool {
  /** The range, e.g. `10.213.0.0/16` or `fd12:3456:789a::/64`. */
  readonly cidr: string;
  readonly family: IpFamily;
  readonly #label: string;
  readonly #codec: Codec;
  readonly #start: bigint;
  readonly #end: bigint;
  readonly #first: bigint;
  readonly #reserved: ReadonlySet<bigint>;
  /** Holders per address in use. */
  readonly #holders = new Map<bigint, number>();
  #cursor: bigint;

  constructor(cidr: string, options: AddressPoolOptions = {}) {
    this.family = familyOf(cidr.split('/')[0] ?? '') ?? 'IPv4';
    this.#label = options.label ?? 'pod';
    this.#codec = CODECS[this.family];
    let start: bigint;
    let size: bigint;
    if (this.family === 'IPv4') {
      const range = parseCidr(cidr);
      [start, size] = [BigInt(range.start), BigInt(range.size)];
    } else {
      ({ start, size } = parseCidr6(cidr));
    }
    if (size < 4n) throw new Error(`${this.#label} range ${cidr} is too small: it needs at least 4 addresses`);
    this.cidr = cidr;
    this.#start = start;
    this.#end = start + size - 1n;
    const firstOffset = options.firstOffset ?? (this.family === 'IPv4' ? 257 : 65537);
    this.#first = start + BigInt(firstOffset);
    if (this.#first <= this.#start || this.#first >= this.#end) throw new Error(`firstOffset ${firstOffset} lies outside ${this.#label} range ${cidr}`);
    this.#reserved = new Set([this.#start, this.#end, ...(options.reserved ?? []).map((a) => this.#codec.parse(a))]);
    this.#cursor = this.#first;
  }

  /**
   * Takes the next address nobody holds, from the first address upwards; released addresses
   * are reused only after the range wraps. In IPv4 it skips `.0` and `.255` in every /24 so no
   * address looks like a network or broadcast one. Throws when every address is held.
   */
  next(): string {
    const last = this.#end - 1n;
    for (let tried = 0n; tried <= last - this.#first; tried++) {
      const candidate = this.#cursor;
      this.#cursor = candidate >= last ? this.#first : candidate + 1n;
      const low = candidate & 255n;
      if (this.family === 'IPv4' && (low === 0n || low === 255n)) continue;
      if (this.#reserved.has(candidate) || this.#holders.has(candidate)) continue;
      this.#holders.set(candidate, 1);
      return this.#codec.format(candidate);
    }
    throw new Error(`${this.#label} range ${this.cidr} has no free address left`);
  }

  /**
   * Takes a chosen address, which may already be held (then it gains a holder). Returns it in
   * canonical form and whether this is its first holder. Throws, naming the address, when it
   * is not an address of the range's family, lies outside the range or is reserved.
   */
  take(address: string): { address: string; first: boolean } {
    const value = this.#parse(address);
    if (value === undefined) throw new Error(`${this.#label} IP ${JSON.stringify(address)} is not an ${this.family} address`);
    if (value < this.#start || value > this.#end) throw new Error(`${this.#label} IP ${address} is outside the ${this.#label} range ${this.cidr}`);
    if (this.#reserved.has(value)) throw new Error(`${this.#label} IP ${address} is reserved in the ${this.#label} range ${this.cidr} (network, broadcast or host address)`);
    const holders = this.#holders.get(value) ?? 0;
    this.#holders.set(value, holders + 1);
    return { address: this.#codec.format(value), first: holders === 0 };
  }

  /** Gives back one hold. Returns whether that was the last holder; an address nobody holds is ignored (false). */
  give(address: string): boolean {
    const value = this.#parse(address);
    if (value === undefined) return false;
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
    const value = this.#parse(address);
    return value === undefined ? 0 : (this.#holders.get(value) ?? 0);
  }

  /** Forgets every hold. */
  clear(): void {
    this.#holders.clear();
  }

  /** The address as a number, or undefined when it is not one of this range's family. */
  #parse(address: string): bigint | undefined {
    if (familyOf(address) !== this.family) return undefined;
    return this.#codec.parse(address);
  }
}
