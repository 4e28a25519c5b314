/**
 * Self-signed certificates for the webhook, built with node:crypto alone: an ECDSA P-256
 * certificate authority, and serving certificates it signs for the webhook's DNS names and
 * IP addresses. Only what a TLS server trusted through a caBundle needs, nothing more.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign, X509Certificate } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import * as der from './der.ts';

/** A certificate with its private key, in PEM and parsed. */
export interface IssuedCertificate {
  /** The subject common name. */
  readonly commonName: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly certificate: X509Certificate;
  readonly privateKey: KeyObject;
  /** Validity, in clock milliseconds. */
  readonly notBefore: number;
  readonly notAfter: number;
}

/** Subject common names of the generated authorities start with this. */
export const CA_COMMON_NAME_PREFIX = 'sluice-webhook-ca';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  commonName: '2.5.4.3',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const;

/** Issued certificates start this much in the past, for clocks that run a little behind. */
const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

export interface CertificateAuthorityOptions {
  /** Clock milliseconds the validity starts from. */
  readonly now: number;
  /** @default 10 years */
  readonly validityMs?: number;
}

export interface ServingCertificateOptions {
  readonly now: number;
  /** Subject alternative DNS names; the first is also the subject common name. */
  readonly dnsNames: readonly string[];
  /** Subject alternative IP addresses (IPv4 or IPv6 literals). @default [] */
  readonly ipAddresses?: readonly string[];
  /** @default 1 year */
  readonly validityMs?: number;
}

function name(commonName: string): Buffer {
  return der.sequence(der.set(der.sequence(der.oid(OID.commonName), der.utf8String(commonName))));
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return der.sequence(der.oid(id), ...(critical ? [der.boolean(true)] : []), der.octetString(value));
}

function keyIdentifier(spki: Buffer): Buffer {
  return createHash('sha256').update(spki).digest().subarray(0, 20);
}

/** The 4 or 16 bytes of an IP literal. */
export function ipAddressBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new RangeError(`IP address "${ip}" is invalid: allowed is an IPv4 or IPv6 literal.`);
  let text = ip.replace(/%.*$/, '');
  const groups: number[] = [];
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  groups.push(...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right);
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(g, i * 2);
  return out;
}

interface CertificateSpec {
  readonly subject: string;
  readonly issuer: string;
  readonly notBefore: number;
  readonly notAfter: number;
  readonly spki: Buffer;
  readonly extensions: readonly Buffer[];
}

function signCertificate(spec: CertificateSpec, signingKey: KeyObject): X509Certificate {
  const signatureAlgorithm = der.sequence(der.oid(OID.ecdsaWithSha256));
  const serial = randomBytes(16);
  serial[0]! &= 0x7f; // positive
  serial[0]! |= 0x01; // and never zero
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)), // v3
    der.unsignedInteger(serial),
    signatureAlgorithm,
    name(spec.issuer),
    der.sequence(der.time(spec.notBefore), der.time(spec.notAfter)),
    name(spec.subject),
    spec.spki,
    der.explicit(3, der.sequence(...spec.extensions)),
  );
  const signature = sign('sha256', tbs, signingKey); // ECDSA-Sig-Value, DER
  return new X509Certificate(der.sequence(tbs, signatureAlgorithm, der.bitString(signature)));
}

function newKeyPair(): { privateKey: KeyObject; spki: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKey, spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

function issued(commonName: string, certificate: X509Certificate, privateKey: KeyObject, notBefore: number, notAfter: number): IssuedCertificate {
  return {
    commonName,
    certPem: certificate.toString(),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    certificate,
    privateKey,
    notBefore,
    notAfter,
  };
}

/** A new self-signed certificate authority with a fresh key; its common name is unique. */
export function createCertificateAuthority(options: CertificateAuthorityOptions): IssuedCertificate {
  const { privateKey, spki } = newKeyPair();
  const notBefore = options.now - BACKDATE_MS;
  const notAfter = options.now + (options.validityMs ?? 3650 * DAY_MS);
  const commonName = `${CA_COMMON_NAME_PREFIX}-${randomBytes(4).toString('hex')}`;
  const skid = keyIdentifier(spki);
  const certificate = signCertificate(
    {
      subject: commonName,
      issuer: commonName,
      notBefore,
      notAfter,
      spki,
      extensions: [
        extension(OID.basicConstraints, true, der.sequence(der.boolean(true), der.smallInteger(0))),
        extension(OID.keyUsage, true, der.namedBits([0, 5, 6])), // digitalSignature, keyCertSign, cRLSign
        extension(OID.subjectKeyIdentifier, false, der.octetString(skid)),
      ],
    },
    privateKey,
  );
  return issued(commonName, certificate, privateKey, notBefore, notAfter);
}

/** A serving certificate for the names and addresses, signed by `ca`, with a fresh key. */
export function issueServingCertificate(ca: IssuedCertificate, options: ServingCertificateOptions): IssuedCertificate {
  const ips = options.ipAddresses ?? [];
  if (options.dnsNames.length === 0 && ips.length === 0) throw new RangeError('a serving certificate needs at least one DNS name or IP address.');
  const { privateKey, spki } = newKeyPair();
  const notBefore = options.now - BACKDATE_MS;
  const notAfter = Math.min(options.now + (options.validityMs ?? 365 * DAY_MS), ca.notAfter);
  const caSpki = ca.certificate.publicKey.export({ type: 'spki', format: 'der' });
  const altNames = [
    ...options.dnsNames.map((n) => der.tlv(0x82, Buffer.from(n, 'ascii'))), // dNSName [2] IA5String
    ...ips.map((ip) => der.implicit(7, ipAddressBytes(ip))), // iPAddress [7] OCTET STRING
  ];
  const commonName = options.dnsNames[0] ?? ips[0]!;
  const certificate = signCertificate(
    {
      subject: commonName,
      issuer: ca.commonName,
      notBefore,
      notAfter,
      spki,
      extensions: [
        extension(OID.basicConstraints, true, der.sequence()),
        extension(OID.keyUsage, true, der.namedBits([0])), // digitalSignature
        extension(OID.extKeyUsage, false, der.sequence(der.oid(OID.serverAuth))),
        extension(OID.subjectAltName, false, der.sequence(...altNames)),
        extension(OID.subjectKeyIdentifier, false, der.octetString(keyIdentifier(spki))),
        extension(OID.authorityKeyIdentifier, false, der.sequence(der.implicit(0, keyIdentifier(caSpki)))),
      ],
    },
    ca.privateKey,
  );
  return issued(commonName, certificate, privateKey, notBefore, notAfter);
}
