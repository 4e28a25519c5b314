/**
 * A `type: LoadBalancer` Service with one port `http` (targetPort `http`), with or without a
 * selector, its load balancer's address as the controller publishes it (status ingress IP and
 * the Service port), and a single GET through it.
 */
import http from 'node:http';
import type * as k8s from '@kubernetes/client-node';
import { waitFor } from '../harness/wait.ts';

/**
 * Creates the Service. Without `selector`, kube-controller-manager writes no EndpointSlices for
 * it: the test writes them (see hand-slices.ts).
 */
export async function createLoadBalancerService(
  core: k8s.CoreV1Api,
  namespace: string,
  name: string,
  port: number,
  selector?: Readonly<Record<string, string>>,
): Promise<void> {
  await core.createNamespacedService({
    namespace,
    body: {
      metadata: { name },
      spec: { type: 'LoadBalancer', ...(selector ? { selector: { ...selector } } : {}), ports: [{ name: 'http', port, targetPort: 'http', protocol: 'TCP' }] },
    },
  });
}

/** Waits for `status.loadBalancer.ingress[0].ip`; the LB listens there on the Service port. */
export async function waitForIngress(core: k8s.CoreV1Api, namespace: string, name: string, timeoutMs = 30_000): Promise<{ host: string; port: number }> {
  return waitFor(
    `Service ${namespace}/${name} to get a load balancer address`,
    async () => {
      const svc = await core.readNamespacedService({ name, namespace });
      const ip = svc.status?.loadBalancer?.ingress?.[0]?.ip;
      const port = svc.spec?.ports?.[0]?.port;
      return ip && port ? { host: ip, port } : undefined;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

/** GET / on a fresh connection; resolves with the trimmed body (the answering pod's name), rejects on any error or a non-200. */
export function getBody(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode} from ${host}:${port}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}/ timed out`)));
    req.on('error', reject);
  });
}
