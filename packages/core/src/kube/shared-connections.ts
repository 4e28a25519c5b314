/**
 * shareApiConnections(kubeConfig): makes every API client built on this KubeConfig reuse its
 * keep-alive connections to the API server.
 *
 * client-node 2.0.1 builds a new undici Agent for every API request (in
 * `applySecurityAuthentication`), so each call pays a fresh TCP connect and TLS handshake,
 * on the controller and on the API server. At thousands of pods that is most of the
 * controller's CPU and a large share of the API server's. This keeps one Agent per distinct
 * TLS setup (server, CA, client certificate and key, proxy, verification) and swaps it in:
 * when the material changes (a rotated client certificate, an exec plugin's new one), the
 * next request gets a new Agent and the old one closes once its requests are done.
 *
 * It changes the instance (clients made from it before the call are covered too) and is
 * idempotent. Watches are untouched: they are long-lived already.
 */
import { createHash } from 'node:crypto';
import type * as https from 'node:https';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';

/** The parts of client-node's KubeConfig this relies on (createDispatcher is private in its types). */
interface DispatcherFactory {
  createDispatcher?: (cluster: Cluster | null, agentOptions: https.AgentOptions) => Closable | undefined;
  createDispatcherOptions(cluster: Cluster | null, agentOptions: https.AgentOptions): unknown;
}

interface Closable {
  close(): Promise<void>;
}

const shared = new WeakSet<KubeConfig>();

/** A stable digest of the dispatcher options: buffers (CA, certificate, key) are hashed in. */
function fingerprint(options: unknown): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify(options, (_key, value: unknown) => {
      if (Buffer.isBuffer(value)) return `buffer:${createHash('sha256').update(value).digest('hex')}`;
      if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
        return `buffer:${createHash('sha256').update(Buffer.from((value as { data: number[] }).data)).digest('hex')}`;
      }
      return value;
    }),
  );
  return hash.digest('hex');
}

/** Installs connection reuse on `kubeConfig` and returns it. */
export function shareApiConnections(kubeConfig: KubeConfig): KubeConfig {
  if (shared.has(kubeConfig)) return kubeConfig;
  const target = kubeConfig as unknown as DispatcherFactory;
  const original = target.createDispatcher;
  if (typeof original !== 'function') {
    throw new Error('shareApiConnections: this @kubernetes/client-node has no KubeConfig.createDispatcher; check the pinned version (2.0.1).');
  }
  let current: { key: string; dispatcher: Closable | undefined } | undefined;
  target.createDispatcher = (cluster, agentOptions) => {
    const key = fingerprint(target.createDispatcherOptions(cluster, agentOptions));
    if (current?.key === key) return current.dispatcher;
    const previous = current?.dispatcher;
    current = { key, dispatcher: original.call(kubeConfig, cluster, agentOptions) };
    // close() lets requests already on the old Agent finish, then ends its connections.
    previous?.close().catch(() => {});
    return current.dispatcher;
  };
  shared.add(kubeConfig);
  return kubeConfig;
}
