/**
 * A loopback HTTP proxy that lets an unchanged `DefaultAzureCredential` use the test
 * identity endpoint. Pointed at a custom authority host, MSAL first asks
 * `https://login.microsoftonline.com/common/discovery/instance` whether the host is a
 * known cloud (unless the caller sets `disableInstanceDiscovery`). With
 * `HTTPS_PROXY=<this proxy>` and `NO_PROXY=127.0.0.1,localhost`, that one request arrives
 * here as `CONNECT login.microsoftonline.com:443`; the tunnel is handed to the test server's
 * own TLS listener (its certificate names that host and is signed by the run's CA), which
 * answers the discovery itself.
 *
 * Nothing is forwarded anywhere: a CONNECT to any other host, and every plain proxied
 * request, is refused with 403, so a stray request fails at once instead of leaving the machine.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** The hosts whose TLS the proxy terminates locally. */
export const INTERCEPTED_HOSTS: readonly string[] = ['login.microsoftonline.com'];

export interface DiscoveryProxy {
  /** `http://127.0.0.1:<port>`: the value for HTTPS_PROXY. */
  readonly url: string;
  close(): Promise<void>;
}

export interface DiscoveryProxyOptions {
  /** Receives each intercepted tunnel as a raw connection (the TLS server's `connection` event). */
  readonly accept: (socket: Socket) => void;
  /** Called for every proxy request, with the target and whether it was accepted. */
  readonly onRequest?: (target: string, accepted: boolean) => void;
}

export async function startDiscoveryProxy(options: DiscoveryProxyOptions): Promise<DiscoveryProxy> {
  const sockets = new Set<Duplex>();
  const server: Server = createServer((req, res) => {
    options.onRequest?.(req.url ?? '', false);
    res.writeHead(403, { 'Content-Type': 'text/plain' });
    res.end('The Sluice ARM test proxy forwards nothing; only CONNECT to login.microsoftonline.com:443 is answered locally.\n');
  });
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const target = req.url ?? '';
    const [host, port] = target.split(':');
    const accepted = port === '443' && host !== undefined && INTERCEPTED_HOSTS.includes(host.toLowerCase());
    options.onRequest?.(target, accepted);
    if (!accepted) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length > 0) socket.unshift(head);
    options.accept(socket as Socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the discovery proxy has no port');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
