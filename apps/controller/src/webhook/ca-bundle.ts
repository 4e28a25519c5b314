/**
 * The caBundle a generated certificate needs, decided purely. Every replica generates its
 * own authority, and the API server may call any replica, so a replica never replaces the
 * bundle: it adds its authority next to the others. Bundles are kept bounded: expired and
 * unreadable certificates go, and only the newest few Sluice authorities stay (those of
 * replicas long gone fall out). Certificates someone else put there are kept.
 */
import { X509Certificate } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { CA_COMMON_NAME_PREFIX } from './certificates.ts';
import type { JsonPatchOperation } from './mutate.ts';

/** Sluice authorities a bundle keeps, ours included. @default 4 */
export const DEFAULT_MAX_SLUICE_AUTHORITIES = 4;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The certificates of a PEM text that parse; anything else in it is dropped. */
export function parsePemBundle(text: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const block of text.match(PEM_CERTIFICATE) ?? []) {
    try {
      out.push(new X509Certificate(block));
    } catch {
      // unreadable: dropped from the bundle
    }
  }
  return out;
}

function isSluiceAuthority(cert: X509Certificate): boolean {
  return cert.ca && cert.subject.split('\n').some((line) => line.startsWith(`CN=${CA_COMMON_NAME_PREFIX}-`));
}

export interface MergeOptions {
  /** Clock milliseconds: certificates expired by then are dropped. */
  readonly now: number;
  /** @default DEFAULT_MAX_SLUICE_AUTHORITIES */
  readonly maxSluiceAuthorities?: number;
}

/**
 * The bundle (base64 of PEM, as in `clientConfig.caBundle`) with `ca` added, or undefined
 * when `current` already trusts `ca` (nothing to write).
 */
export function bundleWithAuthority(current: string | undefined, ca: X509Certificate, options: MergeOptions): string | undefined {
  const existing = parsePemBundle(Buffer.from(current ?? '', 'base64').toString('utf8'));
  if (existing.some((c) => c.fingerprint256 === ca.fingerprint256)) return undefined;
  const live = existing.filter((c) => c.validToDate.getTime() > options.now);
  const max = options.maxSluiceAuthorities ?? DEFAULT_MAX_SLUICE_AUTHORITIES;
  const others = live.filter((c) => !isSluiceAuthority(c));
  const sluice = live
    .filter(isSluiceAuthority)
    .sort((a, b) => b.validFromDate.getTime() - a.validFromDate.getTime())
    .slice(0, Math.max(0, max - 1));
  const seen = new Set<string>();
  const pems: string[] = [];
  for (const c of [ca, ...sluice, ...others]) {
    if (seen.has(c.fingerprint256)) continue;
    seen.add(c.fingerprint256);
    pems.push(c.toString().trim());
  }
  return Buffer.from(`${pems.join('\n')}\n`, 'utf8').toString('base64');
}

/**
 * The JSON Patch that makes every webhook of the configuration trust `ca`, touching only the
 * webhooks that do not yet; undefined when all do. It tests the resourceVersion and each
 * webhook's name first, so a concurrent writer makes it fail (and it is re-planned) rather
 * than be overwritten.
 */
export function caBundlePatch(configuration: k8s.V1MutatingWebhookConfiguration, ca: X509Certificate, options: MergeOptions): JsonPatchOperation[] | undefined {
  const ops: JsonPatchOperation[] = [];
  (configuration.webhooks ?? []).forEach((webhook, i) => {
    const bundle = bundleWithAuthority(webhook.clientConfig?.caBundle, ca, options);
    if (bundle === undefined) return;
    ops.push({ op: 'test', path: `/webhooks/${i}/name`, value: webhook.name });
    ops.push({ op: 'add', path: `/webhooks/${i}/clientConfig/caBundle`, value: bundle });
  });
  if (ops.length === 0) return undefined;
  const resourceVersion = configuration.metadata?.resourceVersion;
  return resourceVersion ? [{ op: 'test', path: '/metadata/resourceVersion', value: resourceVersion }, ...ops] : ops;
}

/** Names of the webhooks a patch from {@link caBundlePatch} updates. */
export function patchedWebhooks(ops: readonly JsonPatchOperation[]): string[] {
  return ops.filter((o) => o.op === 'test' && /^\/webhooks\/\d+\/name$/.test(o.path)).map((o) => String(o.value));
}
