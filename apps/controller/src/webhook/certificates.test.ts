import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import { CA_COMMON_NAME_PREFIX, createCertificateAuthority, ipAddressBytes, issueServingCertificate } from './certificates.ts';
import * as der from './der.ts';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);

test('der: lengths, integers, object identifiers, named bits and times encode as DER', () => {
  const table: [Buffer, string][] = [
    [der.smallInteger(0), '020100'],
    [der.smallInteger(2), '020102'],
    [der.smallInteger(128), '02020080'],
    [der.unsignedInteger(Buffer.from([0, 0, 0x7f])), '02017f'],
    [der.oid('1.2.840.10045.4.3.2'), '06082a8648ce3d040302'],
    [der.oid('2.5.29.17'), '0603551d11'],
    [der.namedBits([0]), '03020780'],
    [der.namedBits([0, 5, 6]), '03020186'],
    [der.boolean(true), '0101ff'],
    [der.time(Date.UTC(2026, 0, 2, 3, 4, 5)), `170d${Buffer.from('260102030405Z').toString('hex')}`],
    [der.time(Date.UTC(2050, 0, 1, 0, 0, 0)), `180f${Buffer.from('20500101000000Z').toString('hex')}`],
    [der.octetString(Buffer.alloc(127)), `047f${'00'.repeat(127)}`],
    [der.octetString(Buffer.alloc(200)), `0481c8${'00'.repeat(200)}`],
    [der.octetString(Buffer.alloc(300)), `0482012c${'00'.repeat(300)}`],
  ];
  for (const [encoded, hex] of table) assert.equal(encoded.toString('hex'), hex);
});

test('ipAddressBytes: IPv4, IPv6 with :: and an embedded IPv4', () => {
  assert.equal(ipAddressBytes('127.0.0.1').toString('hex'), '7f000001');
  assert.equal(ipAddressBytes('::1').toString('hex'), `${'0'.repeat(30)}01`);
  assert.equal(ipAddressBytes('fd00:1::2').toString('hex'), 'fd000001000000000000000000000002');
  assert.equal(ipAddressBytes('::ffff:10.0.0.1').toString('hex'), '00000000000000000000ffff0a000001');
  assert.throws(() => ipAddressBytes('example.com'), /not|invalid/);
});

test('the authority is a CA with a unique sluice name; the serving certificate chains to it with the SANs asked for', () => {
  const ca = createCertificateAuthority({ now: NOW });
  const other = createCertificateAuthority({ now: NOW });
  assert.notEqual(ca.commonName, other.commonName);
  assert.ok(ca.commonName.startsWith(`${CA_COMMON_NAME_PREFIX}-`));
  assert.equal(ca.certificate.ca, true);
  assert.equal(ca.certificate.subject, `CN=${ca.commonName}`);
  assert.ok(ca.certificate.verify(ca.certificate.publicKey), 'self-signed');

  const leaf = issueServingCertificate(ca, { now: NOW, dnsNames: ['sluice-webhook.sluice.svc', 'sluice-webhook.sluice.svc.cluster.local'], ipAddresses: ['127.0.0.1'] });
  assert.equal(leaf.certificate.ca, false);
  assert.ok(leaf.certificate.checkIssued(ca.certificate));
  assert.ok(leaf.certificate.verify(ca.certificate.publicKey));
  assert.ok(!leaf.certificate.verify(other.certificate.publicKey));
  assert.equal(leaf.certificate.subjectAltName, 'DNS:sluice-webhook.sluice.svc, DNS:sluice-webhook.sluice.svc.cluster.local, IP Address:127.0.0.1');
  assert.deepEqual(leaf.certificate.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.equal(leaf.certificate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.equal(leaf.notAfter - NOW, 365 * 86_400_000);
  assert.equal(leaf.certificate.validToDate.getTime(), leaf.notAfter);
  assert.ok(leaf.certificate.validFromDate.getTime() < NOW, 'backdated for clock skew');
  // The PEM round-trips to the same certificate.
  assert.equal(new X509Certificate(leaf.certPem).fingerprint256, leaf.certificate.fingerprint256);
});

test('a serving certificate never outlives its authority', () => {
  const ca = createCertificateAuthority({ now: NOW, validityMs: 86_400_000 });
  const leaf = issueServingCertificate(ca, { now: NOW, dnsNames: ['a.b'] });
  assert.equal(leaf.notAfter, ca.notAfter);
});

test('a serving certificate needs a name or an address', () => {
  const ca = createCertificateAuthority({ now: NOW });
  assert.throws(() => issueServingCertificate(ca, { now: NOW, dnsNames: [] }), /at least one DNS name or IP address/);
});

async function handshake(options: { cert: string; key: string; ca: string; host: string; servername?: string }): Promise<string> {
  const server = tls.createServer({ cert: options.cert, key: options.key }, (socket) => socket.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ host: options.host, port, ca: options.ca, ...(options.servername ? { servername: options.servername } : {}) }, () => {
        let data = '';
        socket.setEncoding('utf8').on('data', (d: string) => (data += d));
        socket.on('end', () => resolve(data));
      });
      socket.on('error', reject);
    });
  } finally {
    server.close();
  }
}

test('a TLS client that trusts the authority accepts the serving certificate for its IP and DNS names only', async () => {
  const now = Date.now();
  const ca = createCertificateAuthority({ now });
  const leaf = issueServingCertificate(ca, { now, dnsNames: ['sluice-webhook.sluice.svc'], ipAddresses: ['127.0.0.1'] });
  const base = { cert: leaf.certPem, key: leaf.keyPem, ca: ca.certPem, host: '127.0.0.1' };
  assert.equal(await handshake(base), 'ok');
  assert.equal(await handshake({ ...base, servername: 'sluice-webhook.sluice.svc' }), 'ok');
  await assert.rejects(handshake({ ...base, servername: 'other.sluice.svc' }), /altnames|Hostname/i);
  const stranger = createCertificateAuthority({ now });
  await assert.rejects(handshake({ ...base, ca: stranger.certPem }), /self[- ]signed|unable to verify|certificate/i);
});
