/**
 * The readiness-gate injection webhook, composed: TLS material (provided files or a generated
 * authority), the Service lookup, the HTTPS server and, with a generated authority, the
 * caBundle injector. Runs in every replica, leader or standby.
 */
import { isIP } from 'node:net';
import type * as k8s from '@kubernetes/client-node';
import { type Clock, errorMessage, type Logger, RetryableError, systemClock, TerminalError } from '@sluice/core';
import { AdmissionServer } from './admission-server.ts';
import { CaBundleInjector } from './ca-bundle-injector.ts';
import { mutate } from './mutate.ts';
import { InformerServiceLookup } from './service-lookup.ts';
import { FileTlsSource, GeneratedTlsSource, type TlsSource } from './tls-source.ts';

export interface WebhookOptions {
  /** Where the HTTPS server listens; port 0 picks a free one. */
  readonly address: { readonly host: string; readonly port: number };
  /** PEM certificate (chain) and key files; both or neither. @default undefined: generate a self-signed authority */
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  /** With a generated authority: the MutatingWebhookConfiguration whose caBundle is kept trusting it. @default undefined: none */
  readonly configurationName?: string | undefined;
  /** With a generated authority: DNS names of the serving certificate (the webhook Service's names). */
  readonly dnsNames: readonly string[];
  readonly kubeConfig: k8s.KubeConfig;
  /** The readiness gate condition type to inject. */
  readonly gateConditionType: string;
  /** Sluice's loadBalancerClass. @default 'sluice.dev/load-balancer' */
  readonly loadBalancerClass?: string | undefined;
  /** Services without a class are Sluice's too. @default false */
  readonly handleUnclassed?: boolean;
  readonly log: Logger;
  /** Aborting it closes the webhook. */
  readonly signal: AbortSignal;
  /** @default systemClock */
  readonly clock?: Clock;
  /** How often provided files are re-read, a generated certificate is checked for renewal, and the caBundle is re-checked. @default 10_000 */
  readonly refreshIntervalMs?: number;
}

export interface RunningWebhook {
  /** The bound port. */
  readonly port: number;
  /** PEM of the generated authority; undefined with provided files. */
  readonly authorityPem: string | undefined;
  /** Stops serving and watching. Idempotent. */
  close(): Promise<void>;
}

/** IP SANs for a listen host: the address itself when it is a specific IP; loopback for localhost. */
export function listenIpAddresses(host: string): string[] {
  if (host === 'localhost') return ['127.0.0.1', '::1'];
  if (isIP(host) === 0 || host === '0.0.0.0' || host === '::') return [];
  return [host];
}

/** An error's message followed by the codes or messages of its causes ("fetch failed (ECONNREFUSED)"). */
function withCauses(error: unknown): string {
  let message = errorMessage(error);
  for (let cause = (error as { cause?: unknown })?.cause; cause && typeof cause === 'object'; cause = (cause as { cause?: unknown }).cause) {
    const c = cause as { code?: string; message?: string };
    const part = c.code ?? c.message;
    if (part && !message.includes(part)) message += ` (${part})`;
  }
  return message;
}

/**
 * Starts the webhook; resolves once the Service cache is synced and the server listens.
 * Rejects with a {@link TerminalError} for unusable certificate files or an address that
 * cannot be bound, and with a {@link RetryableError} when the Services cannot be listed.
 */
export async function startWebhook(options: WebhookOptions): Promise<RunningWebhook> {
  const { log, signal } = options;
  const clock = options.clock ?? systemClock;
  const interval = options.refreshIntervalMs ?? 10_000;
  if ((options.certFile === undefined) !== (options.keyFile === undefined)) {
    throw new TerminalError('webhook certFile and keyFile go together: give both, or neither for a generated certificate.', { field: 'certFile' });
  }
  const tls: TlsSource = options.certFile
    ? new FileTlsSource({ certFile: options.certFile, keyFile: options.keyFile!, onRefreshError: (m) => log.warn(m) })
    : new GeneratedTlsSource({ dnsNames: options.dnsNames, ipAddresses: listenIpAddresses(options.address.host), now: () => clock.now() });
  if (options.certFile && options.configurationName) {
    log.warn(`webhook configuration ${options.configurationName}: its caBundle is left alone with a provided certificate`);
  }
  signal.throwIfAborted();
  const material = await tls.load();

  const lookup = new InformerServiceLookup({ kubeConfig: options.kubeConfig, log, clock });
  try {
    await lookup.start(signal);
  } catch (error) {
    if (signal.aborted) throw error;
    const apiServer = options.kubeConfig.getCurrentCluster()?.server ?? '(unknown)';
    throw new RetryableError(`the webhook cannot list Services from the API server at ${apiServer}: ${withCauses(error)}.`, { cause: error });
  }
  const server = new AdmissionServer({
    host: options.address.host,
    port: options.address.port,
    tls: material,
    log,
    handle: (body) => {
      const result = mutate(body, lookup, { gateConditionType: options.gateConditionType, loadBalancerClass: options.loadBalancerClass, handleUnclassed: options.handleUnclassed ?? false });
      const d = result.decision;
      if (d.kind === 'error') log.warn('readiness gate not injected', { pod: result.pod, reason: d.reason });
      else log.debug(`webhook: ${d.kind}`, { pod: result.pod, ...(d.kind === 'injected' ? { services: d.services } : {}) });
      return result.review;
    },
  });
  let port: number;
  try {
    port = await server.start();
  } catch (error) {
    await lookup.stop();
    throw error;
  }

  const authority = tls.authority;
  const injector =
    authority && options.configurationName
      ? new CaBundleInjector({ kubeConfig: options.kubeConfig, configurationName: options.configurationName, authority, log, clock, intervalMs: interval })
      : undefined;
  injector?.start();

  let stopped = false;
  let cancelRefresh: (() => void) | undefined;
  const scheduleRefresh = () => {
    cancelRefresh = clock.setTimer(async () => {
      try {
        const next = await tls.refresh();
        if (next && !stopped) {
          server.setTls(next);
          log.info(options.certFile ? 'webhook certificate reloaded from its files' : 'webhook certificate renewed');
        }
      } catch (error) {
        log.warn('webhook certificate refresh failed; serving the current one', { error: errorMessage(error) });
      }
      if (!stopped) scheduleRefresh();
    }, interval);
  };
  scheduleRefresh();

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      stopped = true;
      cancelRefresh?.();
      signal.removeEventListener('abort', close);
      await Promise.all([injector?.stop(), server.close(), lookup.stop()]);
    })();
    return closing;
  };
  signal.addEventListener('abort', close, { once: true });
  if (signal.aborted) await close();
  log.info('webhook listening', { host: options.address.host, port, certificate: options.certFile ? 'provided' : 'generated' });
  return { port, authorityPem: authority?.toString(), close };
}
