/**
 * The controller survives a kube-apiserver restart: its watches break (connection refused,
 * then a new server), its informers restart and relist, and it goes on following the pods.
 * After the restart a scale-up must reach the load balancer: the new pod answers through it.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { consoleLogger, freeLoopbackPorts } from '@sluice/testbed/harness';
import { type ControllerProcess, type Environment, startControllerProcess, startEnvironment, Workload } from '@sluice/testbed/scenario';

const log = consoleLogger('e2e/restart');
let env: Environment;
let controller: ControllerProcess | undefined;

before(async () => {
  env = await startEnvironment(log);
});
after(async () => {
  await controller?.stop();
  await controller?.dataplane?.stop();
  await env?.stop();
});

function get(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host, port, path: '/', agent: false, timeout: 3000 }, (res) => {
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

test('after a kube-apiserver restart the controller relists and still follows the pods', { timeout: 240_000 }, async () => {
  controller = startControllerProcess({ kubeconfigPath: env.kubeconfigPath, args: ['--health-poll-ms', '100', '--local-health-interval-ms', '200'] });
  await controller.ready();
  const [port] = await freeLoopbackPorts(1);
  const w = new Workload(env.kubeConfig, { namespace: 'restart', name: 'web', replicas: 1, servicePort: port!, sigterm: 'close' });
  await w.create();
  await w.waitForRollout(1);
  const { host } = await w.waitForAddress();
  const first = await get(host, port!);
  assert.match(first, /^web-/, 'the LB serves the first pod');

  const mark = controller.lines.length;
  await env.restartApiServer();
  // Watches fail while the server is down; give the informers time to notice and restart.
  await new Promise((r) => setTimeout(r, 3000));
  assert.ok(
    controller.lines.slice(mark).some((l) => /^watch of (pods|services|endpointslices) failed/.test(l.msg)),
    'the controller saw its watches break',
  );

  await w.scale(2);
  await w.waitForRollout(2);
  const seen = new Set<string>();
  const deadline = performance.now() + 30_000;
  while (seen.size < 2 && performance.now() < deadline) {
    seen.add(await get(host, port!));
  }
  assert.equal(seen.size, 2, `both pods answer through the LB after the restart (saw ${[...seen].join(', ')})`);
  await w.delete();
});
