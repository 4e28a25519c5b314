/**
 * The Containerfile's final stage says what image-spec.ts says (the OCI config of
 * `npm run image`), so both ways of building give the same image config; and the default tag
 * is the controller's version.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ENV, LABEL_KEYS, PORTS, runtimeConfig, SLUICE_BIN, USER_ID } from './image-spec.ts';

const containerfile = await readFile(new URL('../Containerfile', import.meta.url), 'utf8');
const controller = JSON.parse(await readFile(new URL('../../apps/controller/package.json', import.meta.url), 'utf8')) as { version: string };

/** The instructions of the last stage, continuation lines joined, comments dropped. */
function finalStage(text: string): { op: string; args: string }[] {
  const joined = text.replace(/\\\n\s*/g, ' ');
  const lines = joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const from = lines.findLastIndex((l) => /^FROM\s/i.test(l));
  return lines.slice(from).map((l) => {
    const [op = '', ...rest] = l.split(/\s+/);
    return { op: op.toUpperCase(), args: rest.join(' ') };
  });
}

const stage = finalStage(containerfile);
const args = (op: string) => stage.filter((i) => i.op === op).map((i) => i.args);

test('the final stage starts from scratch and copies the root filesystem build.ts --rootfs writes', () => {
  assert.deepEqual(args('FROM'), ['scratch']);
  assert.deepEqual(args('COPY'), ['--from=build --chown=0:0 /rootfs/ /']);
  assert.match(containerfile, /node image\/build\.ts --rootfs \/rootfs/);
});

test('user, environment, ports and entrypoint are those of the OCI config', () => {
  const config = runtimeConfig({ version: controller.version, revision: 'r', created: 'c' });
  assert.deepEqual(args('USER'), [config.User]);
  assert.equal(config.User, `${USER_ID}:${USER_ID}`);
  assert.deepEqual(args('ENV').flatMap((a) => a.split(' ')), [...ENV]);
  assert.deepEqual(args('EXPOSE').flatMap((a) => a.split(' ')), PORTS.map((p) => `${p}/tcp`));
  assert.deepEqual(args('ENTRYPOINT').map((a) => JSON.parse(a)), [[SLUICE_BIN]]);
  assert.deepEqual(config.Entrypoint, [SLUICE_BIN]);
});

test('the labels are the OCI config labels, the version defaulting to the controller version', () => {
  const labels = new Map([...args('LABEL').join(' ').matchAll(/([\w.]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
  assert.deepEqual([...labels.keys()].sort(), [...LABEL_KEYS].sort());
  const buildArg = (name: string) => `$\{${name}}`; // "${NAME}", as the Containerfile writes it
  const config = runtimeConfig({ version: buildArg('VERSION'), revision: buildArg('REVISION'), created: buildArg('CREATED') });
  assert.deepEqual(Object.fromEntries(labels), config.Labels);
  assert.ok(args('ARG').includes(`VERSION=${controller.version}`), `ARG VERSION=${controller.version}`);
});
