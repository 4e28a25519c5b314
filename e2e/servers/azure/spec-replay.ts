/**
 * Replays Microsoft's published examples (Swagger `x-ms-examples`, api-version 2024-05-01)
 * against the ARM test server and checks the answers keep the published shape:
 * 1. each example file is mapped to its operation through the Swagger files beside it;
 * 2. examples of operations the server does not implement are reported "not implemented";
 * 3. otherwise a fresh server is seeded with what the example implies (spec-seeds.ts), the
 *    example's request is sent (path and query from its parameters, body from its body
 *    parameter), and the answer must have one of the example's status codes, every header
 *    the example shows for that code, and every key of the example's body for that code
 *    (spec-compare.ts). A 202 whose example also shows a 200 body is followed to the end
 *    (as the SDK's poller does) and the final body compared; a paged list is followed
 *    through its nextLinks.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createArmHttpClient, type RawResponse } from './arm-http-client.ts';
import { implementedOperations } from './arm-pipeline.ts';
import { startArmServer } from './arm-server.ts';
import { isObject, type Json, type JsonObject } from './json.ts';
import { compareHeaders, compareShape } from './spec-compare.ts';
import { EXAMPLE_SEEDS as LB_SEEDS } from './spec-seeds.ts';
import { NSG_EXAMPLE_SEEDS } from './spec-seeds-nsg.ts';

const EXAMPLE_SEEDS = { ...LB_SEEDS, ...NSG_EXAMPLE_SEEDS };

/** Where the published files are: `/work/shared/specs/azure-network/2024-05-01` next to the repository. */
export const DEFAULT_SPEC_DIR = fileURLToPath(new URL('../../../../shared/specs/azure-network/2024-05-01/', import.meta.url));

export interface SpecReplayRow {
  /** The example file's name. */
  readonly example: string;
  /** The Swagger operationId, or '?' when no Swagger file lists the example. */
  readonly operation: string;
  readonly method: string;
  /** The request path sent (or that would be sent). */
  readonly path: string;
  readonly expectedStatuses: readonly number[];
  /** The status the server answered; undefined when not sent. */
  readonly status: number | undefined;
  readonly result: 'pass' | 'fail' | 'not implemented';
  /** Why it failed: unexpected status, missing keys or headers, seeding errors. */
  readonly problems: readonly string[];
  /** Every key and header compared and found. */
  readonly comparedKeys: readonly string[];
  /** What the example implies, corrections applied, LROs or pages followed. */
  readonly notes: readonly string[];
}

export interface SpecReplayOptions {
  /** @default DEFAULT_SPEC_DIR */
  readonly specDir?: string;
}

interface OperationInfo {
  readonly operationId: string;
  readonly method: string;
  readonly pathTemplate: string;
  readonly bodyParameter: string | undefined;
}

function readJson(file: string): JsonObject {
  return JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
}

/** Example file name to operation, from every Swagger file in the directory. */
function operationsByExample(dir: string, files: readonly string[]): Map<string, OperationInfo> {
  const out = new Map<string, OperationInfo>();
  for (const f of files) {
    const doc = readJson(join(dir, f));
    if (doc['swagger'] === undefined || !isObject(doc['paths'])) continue;
    for (const [pathTemplate, ops] of Object.entries(doc['paths'])) {
      if (!isObject(ops)) continue;
      for (const [method, op] of Object.entries(ops)) {
        if (!isObject(op) || typeof op['operationId'] !== 'string') continue;
        const params = Array.isArray(op['parameters']) ? op['parameters'].filter(isObject) : [];
        const body = params.find((p) => p['in'] === 'body');
        const examples = isObject(op['x-ms-examples']) ? op['x-ms-examples'] : {};
        for (const ex of Object.values(examples)) {
          const refPath = isObject(ex) && typeof ex['$ref'] === 'string' ? ex['$ref'] : undefined;
          if (refPath === undefined) continue;
          out.set(basename(refPath), {
            operationId: op['operationId'],
            method: method.toUpperCase(),
            pathTemplate,
            bodyParameter: typeof body?.['name'] === 'string' ? body['name'] : undefined,
          });
        }
      }
    }
  }
  return out;
}

function fillPath(template: string, params: JsonObject): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = params[name];
    if (typeof v !== 'string') throw new Error(`the example has no value for path parameter ${name}`);
    return encodeURIComponent(v);
  });
}

/** Follows nextLinks, merging `value`, as a client iterating a list does. */
async function allPages(first: RawResponse, send: (url: string) => Promise<RawResponse>, notes: string[]): Promise<Json | undefined> {
  let body = first.body;
  let pages = 1;
  while (isObject(body) && typeof body['nextLink'] === 'string') {
    const next = await send(body['nextLink']);
    if (next.status !== 200 || !isObject(next.body)) throw new Error(`nextLink answered ${next.status}`);
    const value = [...(Array.isArray(body['value']) ? body['value'] : []), ...(Array.isArray(next.body['value']) ? next.body['value'] : [])];
    body = { ...next.body, value };
    pages++;
  }
  if (pages > 1) notes.push(`followed nextLink through ${pages} pages`);
  return body;
}

async function replayOne(file: string, info: OperationInfo, example: JsonObject): Promise<SpecReplayRow> {
  const params = isObject(example['parameters']) ? example['parameters'] : {};
  const responses = isObject(example['responses']) ? example['responses'] : {};
  const expectedStatuses = Object.keys(responses).map(Number).filter(Number.isInteger);
  const path = fillPath(info.pathTemplate, params);
  const notes: string[] = [];
  const problems: string[] = [];
  const compared: string[] = [];
  const base = { example: file, operation: info.operationId, method: info.method, path, expectedStatuses };
  const seed = EXAMPLE_SEEDS[file];
  if (seed === undefined) {
    return { ...base, status: undefined, result: 'fail', problems: ['no seed is written for this example in spec-seeds.ts'], comparedKeys: [], notes };
  }
  const server = await startArmServer({ operations: { durationMs: 0 }, retryAfterSeconds: 0, discoveryProxy: false, pageSize: 2 });
  try {
    const client = createArmHttpClient(server, { apiVersion: typeof params['api-version'] === 'string' ? params['api-version'] : '2024-05-01' });
    notes.push(`seeded: ${seed.implies}`);
    await seed.seed({ state: server.state, client });
    let body = info.bodyParameter === undefined ? undefined : params[info.bodyParameter];
    if (seed.adjust) {
      const adjusted = seed.adjust(example, body);
      body = adjusted.body;
      notes.push(`corrected: ${adjusted.note}`);
    }
    const res = await client.send(info.method, path, body === undefined ? {} : { body });
    const status = res.status;
    const expected = responses[String(status)];
    if (!isObject(expected) && !(String(status) in responses)) {
      problems.push(`status ${status} is not one of the example's ${expectedStatuses.join('/')}: ${res.text.slice(0, 300)}`);
      return { ...base, status, result: 'fail', problems, comparedKeys: compared, notes };
    }
    const exp = isObject(expected) ? expected : {};
    if (isObject(exp['headers'])) {
      const h = compareHeaders(exp['headers'], res.headers);
      compared.push(...h.compared);
      problems.push(...h.missing.map((m) => `missing ${m}`));
    }
    let actualBody = await allPages(res, (url) => client.send('GET', url), notes);
    let expectedBody = exp['body'];
    const final = responses['200'];
    if (status === 202 && expectedBody === undefined && isObject(final) && final['body'] !== undefined && res.headers['azure-asyncoperation'] && res.headers['location']) {
      const outcome = await client.waitForOperation(res.headers['azure-asyncoperation']);
      const end = await client.send('GET', res.headers['location']);
      notes.push(`202 answered; operation ended ${outcome}; Location then answered ${end.status}, compared with the example's 200 body`);
      if (end.status !== 200) problems.push(`the final Location GET answered ${end.status}, not 200`);
      actualBody = end.body;
      expectedBody = final['body'];
    }
    if (expectedBody !== undefined) {
      const shape = compareShape(expectedBody, actualBody);
      compared.push(...shape.compared);
      problems.push(...shape.missing.map((m) => `missing ${m}`));
    }
    return { ...base, status, result: problems.length === 0 ? 'pass' : 'fail', problems, comparedKeys: compared, notes };
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
    return { ...base, status: undefined, result: 'fail', problems, comparedKeys: compared, notes };
  } finally {
    await server.stop();
  }
}

/** Replays every example in the directory; one row per example file, in name order. */
export async function replaySpecExamples(options: SpecReplayOptions = {}): Promise<SpecReplayRow[]> {
  const dir = options.specDir ?? DEFAULT_SPEC_DIR;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  const ops = operationsByExample(dir, files);
  const implemented = implementedOperations();
  const rows: SpecReplayRow[] = [];
  for (const file of files) {
    const example = readJson(join(dir, file));
    if (example['swagger'] !== undefined || !isObject(example['responses'])) continue;
    const info = ops.get(file);
    const expectedStatuses = Object.keys(example['responses']).map(Number);
    if (info === undefined || !implemented.has(info.operationId)) {
      rows.push({
        example: file,
        operation: info?.operationId ?? '?',
        method: info?.method ?? '?',
        path: info?.pathTemplate ?? '?',
        expectedStatuses,
        status: undefined,
        result: 'not implemented',
        problems: [],
        comparedKeys: [],
        notes: [info === undefined ? 'no Swagger file beside it lists this example' : 'the server does not implement this operation'],
      });
      continue;
    }
    rows.push(await replayOne(file, info, example));
  }
  return rows;
}

/** The rows as a fixed-width table: example, operation, statuses, result, keys compared. */
export function formatReplayTable(rows: readonly SpecReplayRow[]): string {
  const table = [
    ['example', 'operation', 'status (expected)', 'result', 'keys compared'],
    ...rows.map((r) => [
      r.example,
      r.operation,
      `${r.status ?? '-'} (${r.expectedStatuses.join('/')})`,
      r.result === 'fail' ? `FAIL: ${r.problems.join('; ')}` : r.result,
      String(r.comparedKeys.length),
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => Math.min(row[i]!.length, i === 3 ? 120 : 60))));
  return table.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}
