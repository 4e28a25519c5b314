/**
 * npm run demo: the whole story on the embedded load balancer. Brings up a real control
 * plane, the pod network, a simulated node and Sluice (`--provider local`), applies a
 * 3-replica Deployment with the readiness gate and its Service, prints the LB address,
 * sends load through it during one rolling update, and prints `requests: N, failed: M`.
 * Then it keeps everything running until Ctrl-C (`--once`: exit after the summary, code 0
 * only if nothing failed). Everything it started is removed on exit.
 */
import { consoleLogger, freeLoopbackPorts, handleSignals } from '@sluice/testbed/harness';
import { startLoad } from '@sluice/testbed/load';
import { percentile, startControllerProcess, startEnvironment, Workload } from '@sluice/testbed/scenario';

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== '--once');
if (unknown.length > 0) {
  process.stderr.write(`demo: unknown argument ${unknown[0]}: allowed is --once.\n`);
  process.exit(2);
}
const once = args.includes('--once');
const say = (line: string) => process.stdout.write(`${line}\n`);
const log = consoleLogger('demo');

say('starting a real control plane (etcd, kube-apiserver, kube-controller-manager), the pod network and a node...');
const env = await startEnvironment(log);
let cleaning: Promise<void> | undefined;
let interrupted = false;
const controller = startControllerProcess({ kubeconfigPath: env.kubeconfigPath, args: ['--health-poll-ms', '100', '--local-health-interval-ms', '200'] });
const cleanup = () =>
  (cleaning ??= (async () => {
    say('cleaning up...');
    await controller.stop();
    await env.stop();
  })());
// Ctrl-C reaches this process only (the harness runs its children in their own sessions):
// stop the controller, then the pods, the network and the control plane, in that order. A
// second Ctrl-C kills everything at once.
handleSignals(() => {
  interrupted = true;
  void cleanup().then(() => process.exit(once ? 1 : 0));
});

let exitCode = 1;
try {
  say(`control plane at ${env.server} (kubeconfig ${env.kubeconfigPath})`);
  await controller.ready();
  say('sluice running with --provider local');
  const [port] = await freeLoopbackPorts(1);
  const w = new Workload(env.kubeConfig, { namespace: 'demo', name: 'web', replicas: 3, servicePort: port!, sigterm: 'keep-serving' });
  await w.create();
  await w.waitForRollout(3);
  const { host } = await w.waitForAddress();
  say(`load balancer for Service demo/web: http://${host}:${port}  (try: curl http://${host}:${port}/)`);

  const load = startLoad({ host, port: port!, maxDurationMs: 180_000 });
  await new Promise((r) => setTimeout(r, 1000));
  say('rolling update of demo/web under load...');
  await w.restart('demo');
  await w.waitForRollout(3);
  await new Promise((r) => setTimeout(r, 1000));
  const result = await load.stop();
  const { gateMs, drainMs } = controller.latencies();
  say(`readiness gate: p50 ${percentile(gateMs, 50)} ms; drain after deletion: p50 ${percentile(drainMs, 50)} ms`);
  say(`pods that answered: ${Object.keys(result.byPod).sort().join(', ')}`);
  say(`requests: ${result.requests}, failed: ${result.failed}${result.failed ? ` ${JSON.stringify(result.failures)}` : ''}`);
  exitCode = result.failed === 0 ? 0 : 1;
  if (!once) {
    say(`still running: http://${host}:${port}/ — press Ctrl-C to stop and clean up.`);
    await new Promise(() => {});
  }
} catch (error) {
  // Interrupted mid-way, the steps fail as the cleanup stops what they talk to: not a failure of the demo.
  if (!interrupted) process.stderr.write(`demo failed: ${(error as Error)?.stack ?? String(error)}\n`);
  exitCode = 1;
}
await cleanup();
process.exit(exitCode);
