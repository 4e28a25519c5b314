import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

function sluice(args: string[]) {
  return spawnSync(process.execPath, ['--conditions=@sluice/source', main, ...args], { encoding: 'utf8', timeout: 30_000 });
}

describe('sluice (process)', () => {
  test('--provider nope exits 2 with one sentence listing the providers', () => {
    const r = sluice(['--provider', 'nope']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'sluice: unknown provider "nope": allowed are local, aws, azure, gcp.\n');
    assert.equal(r.stdout, '');
  });

  test('--version prints the package version', () => {
    const r = sluice(['--version']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^sluice \d+\.\d+\.\d+\n$/);
  });

  test('an unreachable cluster: one sentence naming the server it tried, exit 1', async () => {
    // A port that was just free on loopback: nothing listens there, so the connection is refused.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const dir = mkdtempSync(join(tmpdir(), 'sluice-kc-'));
    const kubeconfig = join(dir, 'config');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster: { server: `https://127.0.0.1:${port}` } }],
        users: [{ name: 'u', user: { token: 'x' } }],
        contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
        'current-context': 'ctx',
      }),
    );
    const r = sluice(['--provider', 'local', '--kubeconfig', kubeconfig]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`^sluice: cannot reach the Kubernetes API server at https://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*\\.\\n$`));
  });

  test('a provider that cannot start exits 2 with its sentence', () => {
    const r = sluice(['--provider', 'gcp', '--kubeconfig', '/nonexistent/kubeconfig']);
    assert.equal(r.status, 1, 'kubeconfig is read first');
    assert.match(r.stderr, /^sluice: cannot read kubeconfig \/nonexistent\/kubeconfig: /);
  });
});
