import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createCertificateAuthority, issueServingCertificate } from './certificates.ts';
import { FileTlsSource, GeneratedTlsSource } from './tls-source.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-webhook-tls-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const ca = createCertificateAuthority({ now: Date.now() });
const issue = (name: string) => issueServingCertificate(ca, { now: Date.now(), dnsNames: [name] });

test('FileTlsSource: loads a pair, reloads only on change, and keeps the last good pair mid-rotation', async () => {
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  const first = issue('first.sluice.svc');
  await writeFile(certFile, first.certPem);
  await writeFile(keyFile, first.keyPem);
  const problems: string[] = [];
  const source = new FileTlsSource({ certFile, keyFile, onRefreshError: (m) => problems.push(m) });
  assert.equal(source.authority, undefined);
  assert.deepEqual(await source.load(), { cert: first.certPem, key: first.keyPem });
  assert.equal(await source.refresh(), undefined, 'unchanged');

  const second = issue('second.sluice.svc');
  await writeFile(certFile, second.certPem); // the key is not rotated yet
  assert.equal(await source.refresh(), undefined);
  assert.equal(await source.refresh(), undefined);
  assert.equal(problems.length, 1, 'a lasting problem is reported once');
  assert.match(problems[0]!, /are not a usable pair .*Keeping the previous certificate\.$/);

  await writeFile(keyFile, second.keyPem);
  const next = await source.refresh();
  assert.equal(next && new X509Certificate(next.cert).fingerprint256, second.certificate.fingerprint256);
  assert.equal(await source.refresh(), undefined);
});

test('FileTlsSource: a missing file or a mismatched pair is one sentence naming the files', async () => {
  const a = issue('a.sluice.svc');
  const b = issue('b.sluice.svc');
  const certFile = join(dir, 'a.crt');
  const keyFile = join(dir, 'b.key');
  await writeFile(certFile, a.certPem);
  await writeFile(keyFile, b.keyPem);
  await assert.rejects(new FileTlsSource({ certFile, keyFile: join(dir, 'none.key') }).load(), {
    name: 'TerminalError',
    message: new RegExp(`^webhook key file "${join(dir, 'none.key')}" cannot be read: .*ENOENT`),
  });
  await assert.rejects(new FileTlsSource({ certFile, keyFile }).load(), {
    name: 'TerminalError',
    message: new RegExp(`^webhook certificate "${certFile}" and key "${keyFile}" are not a usable pair`),
  });
});

test('GeneratedTlsSource: renews the serving certificate after two thirds of its life, under the same authority', async () => {
  const day = 86_400_000;
  let now = Date.UTC(2026, 10, 1);
  const source = new GeneratedTlsSource({ dnsNames: ['sluice-webhook.sluice.svc'], ipAddresses: ['127.0.0.1'], now: () => now, servingValidityMs: 30 * day });
  assert.equal(await source.refresh(), undefined, 'nothing before load');
  const first = await source.load();
  const authority = source.authority!;
  const cert = new X509Certificate(first.cert);
  assert.ok(cert.checkIssued(authority) && cert.verify(authority.publicKey));
  assert.equal(cert.subjectAltName, 'DNS:sluice-webhook.sluice.svc, IP Address:127.0.0.1');

  now += 19 * day;
  assert.equal(await source.refresh(), undefined);
  now += 2 * day;
  const renewed = await source.refresh();
  assert.ok(renewed);
  const next = new X509Certificate(renewed.cert);
  assert.notEqual(next.fingerprint256, cert.fingerprint256);
  assert.equal(source.authority!.fingerprint256, authority.fingerprint256, 'same authority: the caBundle stays valid');
  assert.ok(next.verify(authority.publicKey));
  assert.equal(await source.refresh(), undefined);
});
