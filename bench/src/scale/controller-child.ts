/**
 * The controller under test, in a process of its own so its memory and CPU are its own:
 * `Controller` from @sluice/core on a recording provider (answers at once, new backends
 * healthy) or the local provider, wrapped to count calls. Forked by controller-host.ts with
 * the config as argv[2]; reports over IPC (see controller-protocol.ts) and stops on a
 * `stop` message or when the parent goes away.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { type ClusterWriter, Controller, KubeClusterWriter, type LoadBalancer, type Logger } from '@sluice/core';
import { RecordingProvider } from '@sluice/core/testing';
import { createLocalProvider } from '@sluice/provider-local';
import type { ChildConfig, ChildMessage, HostMessage } from './controller-protocol.ts';
import { nowMs } from './controller-protocol.ts';
import { countingProvider } from './counting-provider.ts';

const startedAt = nowMs();
const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;
const send = (message: ChildMessage) => process.send?.(message);

let warnings = 0;
const log: Logger = {
  debug() {},
  info() {},
  warn(message, fields) {
    warnings++;
    process.stderr.write(`[controller] warn ${message} ${fields ? JSON.stringify(fields) : ''}\n`);
  },
  error(message, fields) {
    warnings++;
    process.stderr.write(`[controller] error ${message} ${fields ? JSON.stringify(fields) : ''}\n`);
  },
};

// Events are batched so 10,000 registrations are a few hundred IPC messages, not 10,000.
const registered: [string, number][] = [];
const gates: [string, number, number][] = [];
const drains: [string, number, number][] = [];
const flush = () => {
  if (registered.length > 0) send({ kind: 'registered', items: registered.splice(0) });
  if (gates.length > 0) send({ kind: 'gate', items: gates.splice(0) });
  if (drains.length > 0) send({ kind: 'drain', items: drains.splice(0) });
};
const flushTimer = setInterval(flush, 25);

let inner: LoadBalancer;
let recording: RecordingProvider | undefined;
if (config.provider === 'recording') {
  recording = new RecordingProvider({ initialHealth: 'healthy' });
  inner = recording;
} else {
  inner = createLocalProvider({ intervalMs: config.localHealthIntervalMs, log, dataplane: 'embedded' });
}
const counted = countingProvider(inner, {
  registered: (uid) => registered.push([uid, nowMs()]),
  // The recording provider keeps every call for assertions; a bench only needs the counts,
  // and 10,000 kept backend lists would be counted as the controller's heap.
  called: () => {
    if (recording) recording.calls.length = 0;
  },
});

const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(config.kubeconfigPath);
// The controller's own API writes, counted and timed (what its reconciles spend their time on).
const apiWrites = { count: 0, ms: 0 };
const kubeWriter: ClusterWriter = new KubeClusterWriter(kubeConfig);
const timed = async (call: () => Promise<void>): Promise<void> => {
  const t = performance.now();
  try {
    await call();
  } finally {
    apiWrites.count++;
    apiWrites.ms += performance.now() - t;
  }
};
const writer: ClusterWriter = {
  patchPodStatus: (...args) => timed(() => kubeWriter.patchPodStatus(...args)),
  patchServiceIngress: (...args) => timed(() => kubeWriter.patchServiceIngress(...args)),
  setServiceFinalizers: (...args) => timed(() => kubeWriter.setServiceFinalizers(...args)),
  setServiceAnnotation: (...args) => timed(() => kubeWriter.setServiceAnnotation(...args)),
  createEvent: (...args) => timed(() => kubeWriter.createEvent(...args)),
  patchEvent: (...args) => timed(() => kubeWriter.patchEvent(...args)),
};

let reconciles = 0;
let reconcileMs = 0;
let dequeues = 0;
let queueWaitMs = 0;
const controller = new Controller({
  kubeConfig,
  provider: counted.provider,
  writer,
  log,
  // The bench's Services carry no class and no cloud controller runs beside it.
  handleUnclassed: true,
  workers: config.workers,
  resyncMs: config.resyncMs,
  healthPollMs: config.healthPollMs,
  observer: {
    gatePassed: (pod, waitedMs) => gates.push([pod.uid, nowMs(), waitedMs]),
    drainApplied: (pod, latencyMs) => drains.push([pod.uid, nowMs(), latencyMs]),
    reconciled: (_result, durationMs) => {
      reconciles++;
      reconcileMs += durationMs;
    },
    dequeued: (waitedMs) => {
      dequeues++;
      queueWaitMs += waitedMs;
    },
  },
  onReady: () => send({ kind: 'ready', at: nowMs(), startedAt }),
});

const stop = new AbortController();
process.on('message', (message: HostMessage) => {
  if (message.kind === 'stop') {
    stop.abort();
    return;
  }
  if (message.kind === 'measure') {
    (globalThis as { gc?: () => void }).gc?.();
    const memory = process.memoryUsage();
    const cpu = process.cpuUsage();
    send({
      kind: 'measured',
      id: message.id,
      measurement: {
        counts: { ...counted.counts },
        servicesWritten: counted.servicesWritten.size,
        reconciles,
        reconcileMs,
        dequeues,
        queueWaitMs,
        clusterWrites: apiWrites.count,
        clusterWriteMs: apiWrites.ms,
        queueDepth: controller.queueDepth,
        rssBytes: memory.rss,
        heapUsedBytes: memory.heapUsed,
        cpuMs: (cpu.user + cpu.system) / 1000,
        warnings,
      },
    });
  }
});
process.on('disconnect', () => stop.abort());

try {
  await controller.start(stop.signal);
} catch (error) {
  send({ kind: 'failed', error: (error as Error)?.stack ?? String(error) });
  process.exitCode = 1;
} finally {
  clearInterval(flushTimer);
  if (process.connected) flush();
  await inner.close?.();
  if (process.connected) process.disconnect();
}
