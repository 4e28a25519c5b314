import assert from 'node:assert/strict';
import type { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import type * as k8s from '@kubernetes/client-node';
import { bundleWithAuthority, caBundlePatch, parsePemBundle, patchedWebhooks } from './ca-bundle.ts';
import { createCertificateAuthority, issueServingCertificate } from './certificates.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 1);

const b64 = (pems: readonly string[]) => Buffer.from(pems.join('\n')).toString('base64');
const fingerprints = (bundle: string | undefined) => parsePemBundle(Buffer.from(bundle ?? '', 'base64').toString('utf8')).map((c) => c.fingerprint256);
const fp = (c: { certificate: X509Certificate }) => c.certificate.fingerprint256;

const ours = createCertificateAuthority({ now: NOW });

test('bundleWithAuthority: nothing to write when the bundle already trusts the authority', () => {
  const peer = createCertificateAuthority({ now: NOW });
  assert.equal(bundleWithAuthority(b64([peer.certPem, ours.certPem]), ours.certificate, { now: NOW }), undefined);
});

test('bundleWithAuthority: an empty or absent bundle becomes our authority alone', () => {
  for (const current of [undefined, '', b64(['garbage'])]) {
    assert.deepEqual(fingerprints(bundleWithAuthority(current, ours.certificate, { now: NOW })), [fp(ours)]);
  }
});

test('bundleWithAuthority: other replicas\' authorities and foreign certificates stay; expired and unreadable ones go', () => {
  const peer = createCertificateAuthority({ now: NOW - DAY });
  const foreign = issueServingCertificate(createCertificateAuthority({ now: NOW }), { now: NOW, dnsNames: ['foreign.example'] });
  const expired = createCertificateAuthority({ now: NOW - 10 * DAY, validityMs: DAY });
  const broken = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----';
  const bundle = bundleWithAuthority(b64([peer.certPem, broken, foreign.certPem, expired.certPem]), ours.certificate, { now: NOW });
  assert.deepEqual(fingerprints(bundle), [fp(ours), fp(peer), fp(foreign)]);
});

test('bundleWithAuthority: only the newest Sluice authorities are kept, ours first', () => {
  const peers = [1, 2, 3, 4, 5].map((d) => createCertificateAuthority({ now: NOW - d * DAY }));
  const bundle = bundleWithAuthority(b64(peers.map((p) => p.certPem).reverse()), ours.certificate, { now: NOW, maxSluiceAuthorities: 3 });
  assert.deepEqual(fingerprints(bundle), [fp(ours), fp(peers[0]!), fp(peers[1]!)]);
});

function configuration(bundles: (string | undefined)[]): k8s.V1MutatingWebhookConfiguration {
  return {
    metadata: { name: 'sluice', resourceVersion: '42' },
    webhooks: bundles.map((caBundle, i) => ({
      name: `w${i}.sluice.dev`,
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      clientConfig: { url: 'https://127.0.0.1:1/mutate-v1-pod', ...(caBundle === undefined ? {} : { caBundle }) },
    })),
  };
}

test('caBundlePatch: patches only the webhooks that do not trust the authority, guarded by resourceVersion and name', () => {
  const ops = caBundlePatch(configuration([undefined, b64([ours.certPem]), '']), ours.certificate, { now: NOW });
  assert.ok(ops);
  assert.deepEqual(
    ops.map((o) => [o.op, o.path]),
    [
      ['test', '/metadata/resourceVersion'],
      ['test', '/webhooks/0/name'],
      ['add', '/webhooks/0/clientConfig/caBundle'],
      ['test', '/webhooks/2/name'],
      ['add', '/webhooks/2/clientConfig/caBundle'],
    ],
  );
  assert.equal(ops[0]!.value, '42');
  assert.deepEqual(patchedWebhooks(ops), ['w0.sluice.dev', 'w2.sluice.dev']);
  assert.deepEqual(fingerprints(ops[2]!.value as string), [fp(ours)]);
});

test('caBundlePatch: nothing when every webhook trusts the authority, or there are none', () => {
  assert.equal(caBundlePatch(configuration([b64([ours.certPem]), b64([ours.certPem])]), ours.certificate, { now: NOW }), undefined);
  assert.equal(caBundlePatch(configuration([]), ours.certificate, { now: NOW }), undefined);
});
