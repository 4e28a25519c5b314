/**
 * A client of the load balancer: one plain GET per connection (no keep-alive, so every
 * request is a new flow the LB balances), and a sampler of which pods answer.
 */
import http from 'node:http';

/** GET / on host:port on a fresh connection; resolves with the trimmed body (the pod's name). */
export function getOnce(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body.trim()));
      })
      .on('error', reject)
      .on('timeout', function (this: http.ClientRequest) {
        this.destroy(new Error('timeout'));
      });
  });
}

/** Sends `requests` GETs one after another; counts answers per body, and failures. */
export async function sampleResponders(host: string, port: number, requests: number): Promise<{ byPod: Map<string, number>; failed: number }> {
  const byPod = new Map<string, number>();
  let failed = 0;
  for (let i = 0; i < requests; i++) {
    try {
      const body = await getOnce(host, port);
      byPod.set(body, (byPod.get(body) ?? 0) + 1);
    } catch {
      failed++;
    }
  }
  return { byPod, failed };
}
