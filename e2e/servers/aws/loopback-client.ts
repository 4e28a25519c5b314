/**
 * A client of an NLB twin's listener from a chosen loopback address (the twin's "internet"),
 * so a test can be inside or outside a security group's range.
 */
import { get } from 'node:http';

/** GET / from `localAddress`: the body, or the error code (`ECONNRESET` when the firewall refused the client). */
export function getFrom(localAddress: string, host: string, port: number, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const req = get({ host, port, path: '/', localAddress, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body.trim()));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}
