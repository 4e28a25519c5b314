/**
 * Which pod address answers through the load balancer: the pod app names the address each
 * request came in on (`x-pod-address`), so a test can see that a dual-stack LB really sends
 * to both families.
 */
import http from 'node:http';

/** GET / on a fresh connection; resolves with the `x-pod-address` of a 200 answer. */
export function getServedBy(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve(String(res.headers['x-pod-address'] ?? '')) : reject(new Error(`HTTP ${res.statusCode} from ${host}:${port}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}/ timed out`)));
    req.on('error', reject);
  });
}

/** Sends `requests` GETs one after another; counts answers per pod address, and failures. */
export async function sampleServedBy(host: string, port: number, requests: number): Promise<{ byAddress: Map<string, number>; failed: number }> {
  const byAddress = new Map<string, number>();
  let failed = 0;
  for (let i = 0; i < requests; i++) {
    try {
      const address = await getServedBy(host, port);
      byAddress.set(address, (byAddress.get(address) ?? 0) + 1);
    } catch {
      failed++;
    }
  }
  return { byAddress, failed };
}
