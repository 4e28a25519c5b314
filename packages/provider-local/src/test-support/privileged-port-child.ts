/**
 * Test-only child process: ensures a Service on the port given as the first argument and
 * prints, as one JSON line, `{ bound: true }` or the error's name, reason, field and
 * message with whether a load balancer exists afterwards. listener-ports.test.ts runs it
 * as an unprivileged user so a privileged port really fails with EACCES.
 */
import { createLocalProvider } from '../index.ts';
import { cluster, service, signal } from './fixtures.ts';

const lb = createLocalProvider({ dataplane: 'embedded' });
const svc = service({ ports: [{ name: 'http', port: Number(process.argv[2]), protocol: 'TCP', targetPort: 8080 }] });
try {
  await lb.ensureLoadBalancer(cluster, svc, [], signal);
  process.stdout.write(`${JSON.stringify({ bound: true })}\n`);
} catch (error) {
  const { name, reason, field, message } = error as { name: string; reason?: string; field?: string; message: string };
  const { exists } = await lb.getLoadBalancer(cluster, svc, signal);
  process.stdout.write(`${JSON.stringify({ name, reason, field, message, exists })}\n`);
} finally {
  await lb.close();
}
