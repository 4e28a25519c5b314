/**
 * A throwaway Kubernetes control plane for tests: etcd, kube-apiserver and
 * kube-controller-manager on loopback, with state in a fresh temp dir that `stop()` removes.
 */
import { request } from 'node:https';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { shareApiConnections } from '@sluice/core';
import { resolveControlPlaneBinaries } from './control-plane-binaries.ts';
import { writeControlPlaneCredentials } from './control-plane-credentials.ts';
import { freeLoopbackPorts } from './free-port.ts';
import { writeKubeconfig } from './kubeconfig-file.ts';
import { type HarnessLogger, silentLogger } from './logger.ts';
import { type ManagedProcess, startManagedProcess } from './managed-process.ts';
import { removeStaleTempDirs } from './stale-files.ts';
import { waitFor } from './wait.ts';

/** A running (or borrowed) cluster. */
export interface ControlPlane {
  /** A kubeconfig file another process can use (`--kubeconfig`). */
  readonly kubeconfigPath: string;
  /** The same configuration, loaded. */
  readonly kubeConfig: KubeConfig;
  /** API server URL. */
  readonly server: string;
  /** Directory with `etcd.log`, `kube-apiserver.log`, `kube-controller-manager.log`; undefined for a borrowed cluster. */
  readonly logDir: string | undefined;
  /**
   * Stops kube-apiserver and starts it again on the same port with the same serving
   * certificate, resolving once /readyz is ok: watches break, clients must recover.
   * Not available for a borrowed cluster.
   */
  restartApiServer(): Promise<void>;
  /** Stops the processes and removes the temp dir. A no-op for a borrowed cluster. Idempotent. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options for {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /**
   * Environment read for `KUBEBUILDER_ASSETS` (where the programs are) and
   * `SLUICE_E2E_KUBECONFIG` (use that cluster, start nothing).
   * @default process.env
   */
  env?: NodeJS.ProcessEnv;
  /**
   * How long the processes may take to become ready.
   * @default 90000
   */
  startTimeoutMs?: number;
  /**
   * kube-controller-manager controllers to run.
   * @default DEFAULT_CONTROLLERS
   */
  controllers?: readonly string[];
  /**
   * The virtual Service IP ranges, comma-separated, primary first: one range makes a
   * single-stack cluster, an IPv4 and an IPv6 range a dual-stack one (Services may then ask for
   * `ipFamilies` [IPv6], [IPv4, IPv6]... with `ipFamilyPolicy`; a Service without them stays
   * single-stack in the primary family). Never routed anywhere. Given to kube-apiserver and
   * kube-controller-manager alike.
   * @default DEFAULT_SERVICE_CLUSTER_IP_RANGE (dual-stack, IPv4 primary)
   */
  serviceClusterIpRange?: string;
  /**
   * Extra kube-apiserver flags, appended last (so they win).
   * @default []
   */
  apiServerArgs?: readonly string[];
  /**
   * Extra kube-controller-manager flags, appended last.
   * @default []
   */
  controllerManagerArgs?: readonly string[];
  /**
   * Leave the temp dir (logs, etcd data) in place after `stop()`.
   * @default false, or true when SLUICE_E2E_KEEP is set
   */
  keepTempDir?: boolean;
  /**
   * Where progress goes.
   * @default silentLogger
   */
  log?: HarnessLogger;
}

/**
 * IPv4 first, so a Service that names no family is IPv4 as before; the IPv6 range is a /112
 * (65536 addresses, like the IPv4 /16), well within the API server's limit for a Service range.
 */
export const DEFAULT_SERVICE_CLUSTER_IP_RANGE = '10.96.0.0/16,fd00:10:96::/112';

/** The controllers the e2e tests rely on; everything else stays off to save CPU. */
export const DEFAULT_CONTROLLERS: readonly string[] = [
  'deployment-controller',
  'replicaset-controller',
  'endpointslice-controller',
  'garbage-collector-controller',
  'namespace-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
];

/**
 * Starts etcd, kube-apiserver and kube-controller-manager on free loopback ports and resolves
 * once `/readyz` is ok and the `default` ServiceAccount exists (which proves the controller
 * manager is running, and pods can be admitted). On failure every started process is stopped
 * and the error carries the tail of the log of the process at fault.
 *
 * With `SLUICE_E2E_KUBECONFIG` set, nothing is started: that cluster is used as is.
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const env = options.env ?? process.env;
  const log = options.log ?? silentLogger;
  const borrowed = env['SLUICE_E2E_KUBECONFIG'];
  if (borrowed) return borrowCluster(borrowed, log);

  const started = performance.now();
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const keep = options.keepTempDir ?? Boolean(env['SLUICE_E2E_KEEP']);
  const binaries = await resolveControlPlaneBinaries(env);
  const serviceRanges = options.serviceClusterIpRange ?? DEFAULT_SERVICE_CLUSTER_IP_RANGE;
  const stale = await removeStaleTempDirs(tmpdir(), 'sluice-cp-');
  if (stale.length > 0) log.info(`removed control-plane dirs of dead runs: ${stale.join(', ')}`);
  // The pid in the name lets a later run recognise this dir as stale if this process is killed.
  const dir = await mkdtemp(join(tmpdir(), `sluice-cp-${process.pid}-`));
  const processes: ManagedProcess[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      // Reverse start order: the controller manager and API server exit cleanly while etcd is up.
      for (const p of [...processes].reverse()) await p.stop(5000);
      if (keep) log.info(`control plane files kept in ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  try {
    const [etcdClientPort, etcdPeerPort, apiPort] = (await freeLoopbackPorts(3)) as [number, number, number];
    const credentials = await writeControlPlaneCredentials(dir);
    const certDir = join(dir, 'certs');

    const etcdUrl = `http://127.0.0.1:${etcdClientPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcd = startManagedProcess({
      name: 'etcd',
      logFile: join(dir, 'etcd.log'),
      argv: [
        binaries.etcd,
        '--name=default',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        // Test data is disposable; skipping fsync saves a lot of time on slow disks.
        '--unsafe-no-fsync=true',
      ],
    });
    processes.push(etcd);
    await waitReady(etcd, 'etcd /health', timeoutMs, async () => {
      const response = await fetch(`${etcdUrl}/health`);
      return response.ok && ((await response.json()) as { health?: string }).health === 'true';
    });

    const server = `https://127.0.0.1:${apiPort}`;
    const startApiServer = () =>
      startManagedProcess({
        name: 'kube-apiserver',
        logFile: join(dir, 'kube-apiserver.log'),
        argv: [
          binaries.kubeApiserver,
          `--etcd-servers=${etcdUrl}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${apiPort}`,
          `--cert-dir=${certDir}`,
          `--token-auth-file=${credentials.tokenFile}`,
          '--authorization-mode=RBAC',
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          `--service-account-key-file=${credentials.serviceAccountPublicKeyFile}`,
          `--service-account-signing-key-file=${credentials.serviceAccountPrivateKeyFile}`,
          `--service-cluster-ip-range=${serviceRanges}`,
          '--allow-privileged=true',
          // The loopback advertise address is not a valid Endpoints address; nothing in the tests
          // talks to the `kubernetes` Service, so do not maintain its endpoints at all.
          '--endpoint-reconciler-type=none',
          ...(options.apiServerArgs ?? []),
        ],
      });
    let apiServer = startApiServer();
    processes.push(apiServer);
    // The self-signed serving certificate (with its CA) appears in the cert dir at start-up.
    const caPem = await waitReady(apiServer, 'the API server certificate', timeoutMs, () =>
      readFile(join(certDir, 'apiserver.crt'), 'utf8'),
    );
    await waitReady(apiServer, 'kube-apiserver /readyz', timeoutMs, async () => {
      const { status } = await httpsGet(`${server}/readyz`, caPem, credentials.adminToken);
      return status === 200;
    });

    const kubeconfigPath = join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfigPath, { server, token: credentials.adminToken, caPem });
    const controllerManager = startManagedProcess({
      name: 'kube-controller-manager',
      logFile: join(dir, 'kube-controller-manager.log'),
      argv: [
        binaries.kubeControllerManager,
        `--kubeconfig=${kubeconfigPath}`,
        `--controllers=${(options.controllers ?? DEFAULT_CONTROLLERS).join(',')}`,
        '--leader-elect=false',
        '--use-service-account-credentials=false',
        // Only the node IPAM controller reads it (not run here); given so the two programs
        // agree on the cluster's families should it ever be turned on.
        `--service-cluster-ip-range=${serviceRanges}`,
        `--service-account-private-key-file=${credentials.serviceAccountPrivateKeyFile}`,
        `--root-ca-file=${join(certDir, 'apiserver.crt')}`,
        // No health endpoint is needed; not serving avoids a port and delegated-auth lookups.
        '--secure-port=0',
        ...(options.controllerManagerArgs ?? []),
      ],
    });
    processes.push(controllerManager);

    // Keep-alive connections for every harness client (client-node connects per request).
    const kubeConfig = shareApiConnections(new KubeConfig());
    kubeConfig.loadFromFile(kubeconfigPath);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    await waitReady(controllerManager, 'the default ServiceAccount', timeoutMs, async () => {
      await core.readNamespace({ name: 'default' });
      await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
      return true;
    });
    log.info(`control plane ready at ${server} in ${Math.round(performance.now() - started)} ms (files in ${dir})`);

    const restartApiServer = async () => {
      await apiServer.stop(5000);
      const index = processes.indexOf(apiServer);
      apiServer = startApiServer();
      processes[index] = apiServer;
      await waitReady(apiServer, 'kube-apiserver /readyz after restart', timeoutMs, async () => {
        const { status } = await httpsGet(`${server}/readyz`, caPem, credentials.adminToken);
        return status === 200;
      });
      log.info(`kube-apiserver restarted at ${server}`);
    };

    return {
      kubeconfigPath,
      kubeConfig,
      server,
      logDir: dir,
      restartApiServer,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function borrowCluster(kubeconfigPath: string, log: HarnessLogger): Promise<ControlPlane> {
  const kubeConfig = shareApiConnections(new KubeConfig());
  kubeConfig.loadFromFile(kubeconfigPath);
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new Error(`SLUICE_E2E_KUBECONFIG=${kubeconfigPath} has no current cluster with a server URL`);
  log.info(`using the existing cluster at ${server} (SLUICE_E2E_KUBECONFIG)`);
  const stop = async () => {};
  const restartApiServer = async () => {
    throw new Error('restartApiServer is not available for a borrowed cluster (SLUICE_E2E_KUBECONFIG)');
  };
  return { kubeconfigPath, kubeConfig, server, logDir: undefined, restartApiServer, stop, [Symbol.asyncDispose]: stop };
}

/**
 * Waits for `probe` while watching `process`: if the process exits first, or time runs out,
 * the error names what was awaited and quotes the end of the process's log.
 */
async function waitReady<T>(
  process: ManagedProcess,
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | false>,
): Promise<T> {
  const abort = new AbortController();
  const died = process.exit.then((exit) => {
    abort.abort();
    return exit;
  });
  try {
    return await waitFor(what, probe, { timeoutMs, intervalMs: 200, signal: abort.signal });
  } catch (error) {
    const why = process.exited
      ? `${process.name} exited (${JSON.stringify(await died)})`
      : (error as Error).message;
    throw new Error(`control plane did not start: ${why} while waiting for ${what}; end of ${process.logFile}:\n${process.tail()}`, {
      cause: error,
    });
  }
}

function httpsGet(url: string, ca: string, token: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}
