import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Logger } from '@sluice/core';
import { pod, service, slice } from '@sluice/core/testing';
import { parseFlags } from '../flags.ts';
import { runPlan } from './run-plan.ts';

function kubeconfig(server: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-plan-'));
  const path = join(dir, 'config');
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: { server, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'x' } }],
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'ctx',
    }),
  );
  return path;
}

function capture() {
  const errors: string[] = [];
  const out: string[] = [];
  const log: Logger = { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) };
  return { errors, out, io: { log, write: (l: string) => out.push(l), signal: new AbortController().signal } };
}

function config(path: string, extra: string[] = []) {
  const parsed = parseFlags(['plan', '--provider', 'local', '--kubeconfig', path, '--handle-unclassed', ...extra]);
  assert.equal(parsed.kind, 'plan');
  return parsed.kind === 'plan' ? parsed : assert.fail();
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('runPlan', () => {
  test('lists Services (all pages), EndpointSlices and Pods with GETs only, prints the plan, exits 0', async () => {
    const pods = [pod({ name: 'a', ip: '10.0.0.1' }), pod({ name: 'b', ip: '10.0.0.2' })];
    const other = { ...service(undefined, { name: 'other', type: 'ClusterIP' }) };
    const requests: string[] = [];
    const api = await listen((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(`${req.method} ${url.pathname}${url.searchParams.get('continue') ? ' continue' : ''}`);
      const list = (items: unknown[], cont?: string) => res.end(JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: cont ? { continue: cont } : {}, items }));
      res.setHeader('content-type', 'application/json');
      if (req.method !== 'GET') {
        res.statusCode = 405;
        res.end('{}');
      } else if (url.pathname === '/api/v1/services') {
        assert.equal(url.searchParams.get('limit'), '500');
        if (url.searchParams.get('continue') === 'page-2') list([service()]);
        else list([other], 'page-2');
      } else if (url.pathname === '/apis/discovery.k8s.io/v1/endpointslices') list([slice(pods)]);
      else if (url.pathname === '/api/v1/pods') list(pods);
      else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    try {
      const { errors, out, io } = capture();
      const p = config(kubeconfig(api.url));
      assert.equal(await runPlan(p.config, p.output, io), 0);
      assert.deepEqual(errors, []);
      assert.deepEqual(requests, ['GET /api/v1/services', 'GET /api/v1/services continue', 'GET /apis/discovery.k8s.io/v1/endpointslices', 'GET /api/v1/pods']);
      assert.match(out[0]!, /^default\/web {2}load balancer \S+: 8 changes$/);
      assert.deepEqual(
        out.slice(1, 5).map((l) => l.trim().split(/\s+/).slice(0, 3).join(' ')),
        ['add finalizer sluice.dev/load-balancer-cleanup', 'create load balancer', 'register default/a 10.0.0.1:8080', 'register default/b 10.0.0.2:8080'],
      );
      assert.equal(out.at(-1), '1 service: 1 with changes, 0 in sync, 0 with errors');
    } finally {
      await api.close();
    }
  });

  test('--output json prints the array', async () => {
    const api = await listen((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ items: req.url?.startsWith('/api/v1/services') ? [service()] : [] }));
    });
    try {
      const { out, io } = capture();
      const p = config(kubeconfig(api.url), ['--output', 'json']);
      assert.equal(await runPlan(p.config, p.output, io), 0);
      const plans = JSON.parse(out.join('\n')) as { service: string; writes: { verb: string }[] }[];
      assert.deepEqual(plans.map((x) => [x.service, x.writes.map((a) => a.verb)]), [['default/web', ['add finalizer', 'create', 'annotate', 'set ingress']]]);
    } finally {
      await api.close();
    }
  });

  test('an unreachable cluster: one sentence naming the server and the list, exit 1, nothing printed', async () => {
    const api = await listen(() => {});
    const url = api.url;
    await api.close(); // nothing listens there now: connections are refused
    const { errors, out, io } = capture();
    const p = config(kubeconfig(url));
    assert.equal(await runPlan(p.config, p.output, io), 1);
    assert.deepEqual(out, []);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, new RegExp(`^cannot list services from the Kubernetes API server at ${url.replaceAll('.', '\\.')}: .*ECONNREFUSED.*\\.$`));
  });

  test('a refused list (403): one sentence, exit 1', async () => {
    const api = await listen((_req, res) => {
      res.statusCode = 403;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: 'services is forbidden: User "x" cannot list resource "services"' }));
    });
    try {
      const { errors, io } = capture();
      const p = config(kubeconfig(api.url));
      assert.equal(await runPlan(p.config, p.output, io), 1);
      assert.match(errors[0]!, /^cannot list services from the Kubernetes API server at http:\/\/127\.0\.0\.1:\d+: HTTP 403 Forbidden: services is forbidden: User "x" cannot list resource "services"\.$/);
    } finally {
      await api.close();
    }
  });

  test('an unreadable kubeconfig: exit 1 with the reason', async () => {
    const { errors, io } = capture();
    const p = config('/nonexistent/kubeconfig');
    assert.equal(await runPlan(p.config, p.output, io), 1);
    assert.match(errors[0]!, /^cannot read kubeconfig \/nonexistent\/kubeconfig: /);
  });
});
