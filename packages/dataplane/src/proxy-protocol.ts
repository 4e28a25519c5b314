/**
 * PROXY protocol headers (HAProxy's "The PROXY protocol", versions 1 and 2), written to a
 * target before the client's first byte so it learns the client's address, and a parser for
 * backends and tests. Pure.
 *
 * - v1: one text line, `PROXY TCP4 <src> <dst> <sport> <dport>\r\n` (TCP6 for IPv6,
 *   `PROXY UNKNOWN\r\n` when the addresses are not known).
 * - v2: the 12-byte signature `\r\n\r\n\0\r\nQUIT\n`, version 2 + command PROXY (0x21),
 *   family/transport (0x11 TCP over IPv4, 0x21 TCP over IPv6, 0x00 UNSPEC), a 16-bit
 *   big-endian length, then the addresses and ports in network byte order (12 or 36 bytes).
 *
 * An IPv4 client seen by a dual-stack listener as `::ffff:a.b.c.d` is written as IPv4 when
 * the destination is IPv4 too; mixed families are written as IPv6 (IPv4-mapped).
 */
import { isIP } from 'node:net';
import { type Address, formatAddress, parseAddress } from './address-range.ts';

/** The two ends of a client connection as the load balancer saw them. */
export interface ConnectionEndpoints {
  readonly sourceAddress: string | undefined;
  readonly sourcePort: number | undefined;
  readonly destinationAddress: string | undefined;
  readonly destinationPort: number | undefined;
}

export interface ProxyHeader {
  readonly version: 1 | 2;
  /** v1 is always PROXY; v2 LOCAL means "health check from the proxy itself, no addresses". */
  readonly command: 'PROXY' | 'LOCAL';
  readonly family: 'TCP4' | 'TCP6' | 'UNKNOWN';
  readonly sourceAddress?: string;
  readonly destinationAddress?: string;
  readonly sourcePort?: number;
  readonly destinationPort?: number;
}

export type ParsedProxyHeader =
  | { readonly status: 'complete'; readonly header: ProxyHeader; /** Bytes the header took. */ readonly length: number }
  | { readonly status: 'incomplete' }
  | { readonly status: 'invalid'; readonly reason: string };

/** The v2 signature. */
export const PROXY_V2_SIGNATURE: Buffer = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const V1_PREFIX = Buffer.from('PROXY ');
const V1_MAX = 107;

/** The header to write for a connection. */
export function encodeProxyHeader(version: 'v1' | 'v2', endpoints: ConnectionEndpoints): Buffer {
  const ends = resolveEnds(endpoints);
  if (version === 'v1') {
    if (ends === undefined) return Buffer.from('PROXY UNKNOWN\r\n', 'latin1');
    const family = ends.source.family === 4 ? 'TCP4' : 'TCP6';
    const line = `PROXY ${family} ${formatAddress(ends.source)} ${formatAddress(ends.destination)} ${ends.sourcePort} ${ends.destinationPort}\r\n`;
    return Buffer.from(line, 'latin1');
  }
  if (ends === undefined) return Buffer.concat([PROXY_V2_SIGNATURE, Buffer.from([0x21, 0x00, 0x00, 0x00])]);
  const width = ends.source.family === 4 ? 4 : 16;
  const body = Buffer.alloc(width * 2 + 4);
  writeAddress(body, 0, ends.source, width);
  writeAddress(body, width, ends.destination, width);
  body.writeUInt16BE(ends.sourcePort, width * 2);
  body.writeUInt16BE(ends.destinationPort, width * 2 + 2);
  const head = Buffer.from([0x21, width === 4 ? 0x11 : 0x21, 0, 0]);
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, head, body]);
}

/** Parses a header at the start of `data` (v1 or v2); TLVs after the v2 addresses are skipped. */
export function parseProxyHeader(data: Buffer): ParsedProxyHeader {
  if (startsWith(data, PROXY_V2_SIGNATURE)) return parseV2(data);
  if (startsWith(data, V1_PREFIX)) return parseV1(data);
  const n = Math.min(data.length, PROXY_V2_SIGNATURE.length);
  if (data.subarray(0, n).equals(PROXY_V2_SIGNATURE.subarray(0, n))) return { status: 'incomplete' };
  const m = Math.min(data.length, V1_PREFIX.length);
  if (data.subarray(0, m).equals(V1_PREFIX.subarray(0, m))) return { status: 'incomplete' };
  return { status: 'invalid', reason: 'the data starts with neither the v1 "PROXY " prefix nor the v2 signature' };
}

interface Ends {
  readonly source: Address;
  readonly destination: Address;
  readonly sourcePort: number;
  readonly destinationPort: number;
}

function resolveEnds(e: ConnectionEndpoints): Ends | undefined {
  if (e.sourceAddress === undefined || e.destinationAddress === undefined || e.sourcePort === undefined || e.destinationPort === undefined) return undefined;
  let source = parseAddress(e.sourceAddress);
  let destination = parseAddress(e.destinationAddress);
  if (source === undefined || destination === undefined) return undefined;
  if (source.family !== destination.family) {
    source = asIpv6(source);
    destination = asIpv6(destination);
  }
  return { source, destination, sourcePort: e.sourcePort, destinationPort: e.destinationPort };
}

function asIpv6(address: Address): Address {
  return address.family === 6 ? address : { family: 6, value: (0xffffn << 32n) | address.value };
}

function writeAddress(buffer: Buffer, offset: number, address: Address, width: number): void {
  for (let i = 0; i < width; i++) buffer[offset + i] = Number((address.value >> BigInt(8 * (width - 1 - i))) & 0xffn);
}

function readAddress(buffer: Buffer, offset: number, width: number): string {
  let value = 0n;
  for (let i = 0; i < width; i++) value = (value << 8n) | BigInt(buffer[offset + i] ?? 0);
  return formatAddress({ family: width === 4 ? 4 : 6, value });
}

function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.subarray(0, prefix.length).equals(prefix);
}

function parseV1(data: Buffer): ParsedProxyHeader {
  const end = data.indexOf('\r\n', 0, 'latin1');
  if (end < 0) return data.length >= V1_MAX ? { status: 'invalid', reason: 'no CRLF within 107 bytes' } : { status: 'incomplete' };
  const parts = data.subarray(0, end).toString('latin1').split(' ');
  const length = end + 2;
  if (parts[1] === 'UNKNOWN') return { status: 'complete', length, header: { version: 1, command: 'PROXY', family: 'UNKNOWN' } };
  const [, family, src, dst, sport, dport] = parts;
  if (parts.length !== 6 || (family !== 'TCP4' && family !== 'TCP6')) return { status: 'invalid', reason: `malformed v1 line ${JSON.stringify(parts.join(' '))}` };
  const want = family === 'TCP4' ? 4 : 6;
  const ports = [Number(sport), Number(dport)];
  if (isIP(src ?? '') !== want || isIP(dst ?? '') !== want || !ports.every((p) => Number.isInteger(p) && p >= 0 && p <= 65535)) {
    return { status: 'invalid', reason: `malformed v1 addresses or ports in ${JSON.stringify(parts.join(' '))}` };
  }
  return {
    status: 'complete',
    length,
    header: { version: 1, command: 'PROXY', family, sourceAddress: src, destinationAddress: dst, sourcePort: ports[0], destinationPort: ports[1] },
  };
}

function parseV2(data: Buffer): ParsedProxyHeader {
  if (data.length < 16) return { status: 'incomplete' };
  const versionCommand = data[12] ?? 0;
  const familyByte = data[13] ?? 0;
  const bodyLength = data.readUInt16BE(14);
  if (versionCommand >> 4 !== 2) return { status: 'invalid', reason: `version nibble ${versionCommand >> 4} is not 2` };
  const command = versionCommand & 0x0f;
  if (command > 1) return { status: 'invalid', reason: `command ${command} is neither LOCAL (0) nor PROXY (1)` };
  if (data.length < 16 + bodyLength) return { status: 'incomplete' };
  const length = 16 + bodyLength;
  const base = { version: 2, command: command === 0 ? 'LOCAL' : 'PROXY' } as const;
  const width = familyByte === 0x11 ? 4 : familyByte === 0x21 ? 16 : 0;
  if (width === 0 || command === 0) return { status: 'complete', length, header: { ...base, family: 'UNKNOWN' } };
  if (bodyLength < width * 2 + 4) return { status: 'invalid', reason: `length ${bodyLength} is too short for the addresses` };
  return {
    status: 'complete',
    length,
    header: {
      ...base,
      family: width === 4 ? 'TCP4' : 'TCP6',
      sourceAddress: readAddress(data, 16, width),
      destinationAddress: readAddress(data, 16 + width, width),
      sourcePort: data.readUInt16BE(16 + width * 2),
      destinationPort: data.readUInt16BE(18 + width * 2),
    },
  };
}
