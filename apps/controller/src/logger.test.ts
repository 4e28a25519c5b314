import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LogFormat } from './flags.ts';
import { createJsonLogger, createLogger, isSecretKey, REDACTED } from './logger.ts';

const NOW = () => new Date('2026-11-25T10:00:00.000Z');
const FORMATS: readonly LogFormat[] = ['json', 'text'];

function capture(format: LogFormat, level: 'debug' | 'info' = 'debug') {
  const lines: string[] = [];
  const log = createLogger({ level, format, now: NOW, write: (line) => lines.push(line) });
  return { log, lines };
}

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InNsdWljZSJ9.eyJpc3MiOiJrdWJlcm5ldGVzIiwic3ViIjoic2x1aWNlIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const AZURE_SECRET = 'Qx8Q~abcDEF.ghiJKL_mnoPQRstuVWXyz0123456';

/** Each text carries `secret`; whether it arrives as the message or as a string field, no line may contain it. */
const SECRET_TEXTS: readonly { name: string; text: string; secret: string }[] = [
  { name: 'bearer token', text: 'GET /api/v1/pods with Bearer abc.DEF-123_xyz~', secret: 'abc.DEF-123_xyz~' },
  { name: 'authorization header', text: 'request failed: {"Authorization":"Basic dXNlcjpodW50ZXIy"}', secret: 'dXNlcjpodW50ZXIy' },
  { name: 'authorization header, custom scheme', text: 'Authorization: SharedKey acct:c2lnbmF0dXJl', secret: 'c2lnbmF0dXJl' },
  { name: 'JWT on its own', text: `token was ${JWT} (expired)`, secret: 'c2lnbmF0dXJlLW9mLXRoZS10b2tlbg' },
  { name: 'JWT payload', text: `id ${JWT}`, secret: 'eyJpc3MiOiJrdWJlcm5ldGVzIiwic3ViIjoic2x1aWNlIn0' },
  { name: 'aws credentials file', text: `[default]\naws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = ${AWS_SECRET}\n`, secret: AWS_SECRET },
  { name: 'aws query form', text: `Action=AssumeRole&SecretAccessKey=${AWS_SECRET}&Version=2011`, secret: AWS_SECRET },
  { name: 'aws JSON', text: `{"AccessKeyId":"AKIA","SecretAccessKey":"${AWS_SECRET}","SessionToken":"FQoGZXIvYXdzEJr"}`, secret: AWS_SECRET },
  { name: 'aws session token in JSON', text: '{"SessionToken":"FQoGZXIvYXdzEJr"}', secret: 'FQoGZXIvYXdzEJr' },
  { name: 'aws STS XML', text: `<Credentials><SecretAccessKey>${AWS_SECRET}</SecretAccessKey></Credentials>`, secret: AWS_SECRET },
  { name: 'client secret in a form body', text: `grant_type=client_credentials&client_secret=${AZURE_SECRET}&scope=x`, secret: AZURE_SECRET },
  { name: 'client secret, JSON', text: `{"clientSecret": "${AZURE_SECRET}"}`, secret: AZURE_SECRET },
  { name: 'SAS signature', text: 'https://acct.blob.core.windows.net/c/b?sv=2024-01-01&se=2026&sig=q%2Bw3rTy%3D&sp=r', secret: 'q%2Bw3rTy%3D' },
  { name: 'S3 presigned URL', text: 'https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIA&X-Amz-Signature=0f1e2d3c4b5a&X-Amz-Security-Token=IQoJb3JpZ2lu', secret: '0f1e2d3c4b5a' },
  { name: 'S3 presigned URL token', text: 'https://b.s3.amazonaws.com/k?X-Amz-Signature=0f1e&X-Amz-Security-Token=IQoJb3JpZ2lu', secret: 'IQoJb3JpZ2lu' },
  { name: 'password parameter', text: 'connect with password=hunter2hunter2 failed', secret: 'hunter2hunter2' },
  { name: 'password in a URL', text: 'proxy http://sluice:hunter2hunter2@proxy.local:3128 refused', secret: 'hunter2hunter2' },
  { name: 'access_token parameter', text: 'GET /cb?access_token=ya29.a0AfH6SMB&x=1', secret: 'ya29.a0AfH6SMB' },
  {
    name: 'PEM private key',
    text: 'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAs3cr3tk3y\n-----END RSA PRIVATE KEY-----\n',
    secret: 'MIIEowIBAAKCAQEAs3cr3tk3y',
  },
];

/** Secrets under secret-naming keys, at several depths. */
const SECRET_FIELDS: readonly { name: string; fields: Record<string, unknown>; secrets: readonly string[] }[] = [
  { name: 'top-level token', fields: { token: 'plain-token-value' }, secrets: ['plain-token-value'] },
  {
    name: 'kubeconfig user',
    fields: {
      kubeconfig: {
        users: [
          {
            name: 'admin',
            user: {
              token: 'kc-token-1',
              password: 'kc-pass-2',
              'client-key-data': 'a2V5LWRhdGE=',
              'client-certificate-data': 'Y2VydC1kYXRh',
              'auth-provider': { config: { 'access-token': 'kc-at-3', 'refresh-token': 'kc-rt-4', 'client-secret': 'kc-cs-5' } },
            },
          },
        ],
      },
    },
    secrets: ['kc-token-1', 'kc-pass-2', 'a2V5LWRhdGE=', 'Y2VydC1kYXRh', 'kc-at-3', 'kc-rt-4', 'kc-cs-5'],
  },
  {
    name: 'cloud credentials, deep',
    fields: { provider: { aws: { credentials: { accessKeyId: 'AKIA', secretAccessKey: 'aws-deep-1', sessionToken: 'aws-deep-2' } } } },
    secrets: ['aws-deep-1', 'aws-deep-2'],
  },
  { name: 'five levels down', fields: { a: { b: { c: { d: { clientSecret: 'azure-deep-3', apiKey: 'gcp-deep-4' } } } } }, secrets: ['azure-deep-3', 'gcp-deep-4'] },
  { name: 'request headers', fields: { headers: { Authorization: 'Token t0k3n-hdr', 'x-api-key': 'xak-5', cookie: 'session=ck-6' } }, secrets: ['t0k3n-hdr', 'xak-5', 'ck-6'] },
  { name: 'private key and bearer', fields: { privateKey: 'pk-7', bearerToken: 'bt-8', accessToken: 'at-9', secret: 's-10' }, secrets: ['pk-7', 'bt-8', 'at-9', 's-10'] },
  { name: 'an error whose message quotes a header', fields: { error: new Error('401: Authorization: Bearer err-token-11') }, secrets: ['err-token-11'] },
  { name: 'an array of bearer strings', fields: { tried: ['Bearer arr-12', 'Bearer arr-13'] }, secrets: ['arr-12', 'arr-13'] },
];

for (const format of FORMATS) {
  for (const c of SECRET_TEXTS) {
    test(`${format}: ${c.name} never reaches a line, as message or as field`, () => {
      const { log, lines } = capture(format);
      log.warn(c.text);
      log.error('call failed', { detail: c.text, nested: { why: c.text } });
      log.child({ service: 'default/web' }).info(`reconcile default/web: ${c.text}`);
      assert.equal(lines.length, 3);
      for (const line of lines) {
        assert.ok(!line.includes(c.secret), `secret in line: ${line}`);
        assert.ok(line.includes(REDACTED), `no redaction marker in: ${line}`);
      }
    });
  }
  for (const c of SECRET_FIELDS) {
    test(`${format}: ${c.name} is censored`, () => {
      const { log, lines } = capture(format);
      log.info('with fields', c.fields);
      log.child(c.fields).info('with bindings');
      for (const line of lines) for (const s of c.secrets) assert.ok(!line.includes(s), `secret ${s} in line: ${line}`);
    });
  }
}

test('what is not a secret is kept as it was', () => {
  const { log, lines } = capture('json');
  const fields = {
    service: 'default/web',
    pod: 'default/web-1',
    podUid: '0d9c0d5e-2a5e-4d5b-9a11-1c2b3d4e5f60',
    waitedMs: 12,
    host: 'elasticloadbalancing.us-east-1.amazonaws.com',
    accessKeyId: 'AKIAEXAMPLE',
    tokenFile: '/var/run/secrets/token',
    operation: 'DescribeTargetHealth',
  };
  log.info('gate passed', fields);
  const parsed = JSON.parse(lines[0]!);
  assert.deepEqual({ ...parsed, level: undefined, time: undefined, msg: undefined }, { ...fields, level: undefined, time: undefined, msg: undefined });
  assert.equal(parsed.msg, 'gate passed');
});

test('isSecretKey: names of secrets, in any case or separator style', () => {
  for (const k of ['token', 'Authorization', 'client_secret', 'clientSecret', 'SecretAccessKey', 'aws_session_token', 'x-api-key', 'client-key-data', 'password', 'privateKey']) {
    assert.ok(isSecretKey(k), k);
  }
  for (const k of ['service', 'pod', 'podUid', 'accessKeyId', 'tokenFile', 'key', 'waitedMs', 'operation']) assert.ok(!isSecretKey(k), k);
});

test('json: one object per line, level as a label, ISO time, msg, fields at the top level', () => {
  const { log, lines } = capture('json');
  log.info('drain applied', { pod: 'default/web-1', podUid: 'u1', latencyMs: 7, wallMs: 1234 });
  assert.equal(lines.length, 1);
  assert.ok(lines[0]!.endsWith('\n') && !lines[0]!.slice(0, -1).includes('\n'));
  assert.deepEqual(JSON.parse(lines[0]!), { level: 'info', time: '2026-11-25T10:00:00.000Z', msg: 'drain applied', pod: 'default/web-1', podUid: 'u1', latencyMs: 7, wallMs: 1234 });
});

test('json: a field named like a record key cannot shadow it; undefined fields are left out', () => {
  const { log, lines } = capture('json');
  log.warn('m', { level: 'x', time: 'y', msg: 'z', retryInMs: undefined });
  assert.deepEqual(JSON.parse(lines[0]!), { level: 'warn', time: '2026-11-25T10:00:00.000Z', msg: 'm', _level: 'x', _time: 'y', _msg: 'z' });
});

test('the level filters lines, in both formats', () => {
  for (const format of FORMATS) {
    const { log, lines } = capture(format, 'info');
    log.debug('hidden');
    log.info('shown');
    log.warn('shown');
    log.error('shown');
    assert.equal(lines.length, 3, format);
    assert.ok(lines.every((l) => !l.includes('hidden')));
  }
  const lines: string[] = [];
  const log = createLogger({ level: 'error', write: (l) => lines.push(l), now: NOW });
  log.warn('no');
  log.error('yes');
  assert.equal(lines.length, 1);
});

test('child loggers add their bindings to every line; the call fields win', () => {
  const { log, lines } = capture('json');
  const svc = log.child({ service: 'shop/web' });
  const pod = svc.child({ pod: 'shop/web-1', podUid: 'u1' });
  svc.info('reconcile shop/web: done');
  pod.info('gate passed', { waitedMs: 3 });
  pod.info('override', { service: 'shop/other' });
  log.info('no bindings');
  const parsed = lines.map((l) => JSON.parse(l));
  assert.equal(parsed[0].service, 'shop/web');
  assert.deepEqual([parsed[1].service, parsed[1].pod, parsed[1].podUid, parsed[1].waitedMs], ['shop/web', 'shop/web-1', 'u1', 3]);
  assert.equal(parsed[2].service, 'shop/other');
  assert.equal(parsed[3].service, undefined);
});

test('text: time, padded level, message, then key=value, quoted when needed', () => {
  const { log, lines } = capture('text');
  log.info('reconcile default/web: ok', { service: 'default/web', ms: 3 });
  log.debug('applied backend changes', { service: 'default/web', actions: ['register', 'drain'], note: 'two words', empty: '', eq: 'a=b', ok: true });
  log.error('line one\nline two', { error: 'x' });
  assert.deepEqual(lines, [
    '2026-11-25T10:00:00.000Z INFO  reconcile default/web: ok service=default/web ms=3\n',
    '2026-11-25T10:00:00.000Z DEBUG applied backend changes service=default/web actions=["register","drain"] note="two words" empty="" eq="a=b" ok=true\n',
    '2026-11-25T10:00:00.000Z ERROR line one\\nline two error=x\n',
  ]);
  for (const line of lines) assert.throws(() => JSON.parse(line));
});

test('text: colours only when asked (the default is off unless writing to a TTY stdout)', () => {
  const plain = capture('text');
  plain.log.warn('w');
  assert.ok(!plain.lines[0]!.includes('\u001b['));
  const lines: string[] = [];
  createLogger({ format: 'text', color: true, now: NOW, write: (l) => lines.push(l) }).warn('w');
  assert.equal(lines[0], '2026-11-25T10:00:00.000Z \u001b[33mWARN \u001b[0m w\n');
});

test('fields that are cyclic, binary, dates or bigints still make one valid line', () => {
  const { log, lines } = capture('json');
  const loop: Record<string, unknown> = { name: 'loop' };
  loop['self'] = loop;
  log.info('odd', { loop, bytes: Buffer.from('c2VjcmV0'), at: new Date(0), big: 10n });
  const parsed = JSON.parse(lines[0]!);
  assert.equal(parsed.loop.name, 'loop');
  assert.equal(parsed.bytes, '[8 bytes]');
  assert.equal(parsed.at, '1970-01-01T00:00:00.000Z');
  assert.equal(parsed.big, '10');
});

test('createJsonLogger still writes the same JSON lines', () => {
  const lines: string[] = [];
  createJsonLogger('info', (l) => lines.push(l), NOW).info('sluice running', { provider: 'local' });
  assert.deepEqual(JSON.parse(lines[0]!), { level: 'info', time: '2026-11-25T10:00:00.000Z', msg: 'sluice running', provider: 'local' });
});
