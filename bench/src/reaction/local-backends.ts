/**
 * Something for the local provider's health checks to reach at every pod IP the stamper
 * hands out, without a process per pod: a pod network namespace in which a whole /17 is a
 * local address range (`ip route add local ... dev lo`), and one TCP listener bound to all
 * addresses inside it. Every stamped pod IP then accepts connections on the target port;
 * nothing outside the namespace is bound, and nothing leaves the machine.
 *
 * The host reaches the /17 through the namespace's own address as a gateway, not as part of
 * the connected /16: otherwise it needs a neighbour (ARP) entry per pod IP, and past
 * `net.ipv4.neigh.default.gc_thresh3` (1024) entries health checks to new pods time out.
 */
import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { createPodNetwork, type PodNetwork, waitFor } from '@sluice/testbed/harness';

export interface LocalBackends {
  /** Where the stamper should take pod IPs (the upper half of the pod network). */
  readonly podCidr: string;
  /** The host end of the pod network, a fine node InternalIP. */
  readonly hostIp: string;
  stop(): Promise<void>;
}

/** Accepts and closes at once: a TCP health check only needs the handshake. */
const LISTENER = `require('node:net').createServer((s) => s.destroy()).listen(Number(process.argv[1]), '0.0.0.0')`;

export async function startLocalBackends(port: number): Promise<LocalBackends> {
  const network: PodNetwork = await createPodNetwork();
  try {
    const prefix = network.cidr.split('.').slice(0, 2).join('.');
    const podCidr = `${prefix}.128.0/17`;
    // The lower half keeps the namespace's own address and the route back to the host end.
    execFileSync('ip', ['-n', network.namespace, 'route', 'add', 'local', podCidr, 'dev', 'lo']);
    // Goes away with the veth when the network is destroyed.
    execFileSync('ip', ['route', 'add', podCidr, 'via', `${prefix}.0.2`]);
    network.exec([process.execPath, '-e', LISTENER, String(port)]);
    const probeIp = `${prefix}.128.1`;
    await waitFor(
      `a listener on ${probeIp}:${port} in the pod network`,
      () =>
        new Promise<boolean>((resolve) => {
          const socket = connect({ host: probeIp, port });
          socket.once('connect', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        }),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    return { podCidr, hostIp: network.hostIp, stop: () => network.destroy() };
  } catch (error) {
    await network.destroy();
    throw error;
  }
}
