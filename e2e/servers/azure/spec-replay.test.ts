/**
 * Every published example whose operation the server implements is replayed against it and
 * must keep the published status codes, headers and body keys (see spec-replay.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { DEFAULT_SPEC_DIR, formatReplayTable, replaySpecExamples } from './spec-replay.ts';

it('the server answers every implemented published example in its published shape', async (t) => {
  const rows = await replaySpecExamples();
  t.diagnostic(`\n${formatReplayTable(rows)}`);
  // Example files, not the API definitions beside them (those carry a `swagger` key).
  const examples = readdirSync(DEFAULT_SPEC_DIR).filter((f) => f.endsWith('.json') && (JSON.parse(readFileSync(join(DEFAULT_SPEC_DIR, f), 'utf8')) as { swagger?: unknown }).swagger === undefined);
  assert.equal(rows.length, examples.length, 'one row per example file');
  const failed = rows.filter((r) => r.result === 'fail');
  assert.deepEqual(
    failed.map((r) => `${r.example}: ${r.problems.join('; ')}`),
    [],
  );
  for (const r of rows.filter((row) => row.result === 'pass')) {
    assert.ok(r.comparedKeys.length > 0, `${r.example} compared at least one key or header`);
    assert.ok(r.status !== undefined && r.expectedStatuses.includes(r.status));
  }
  assert.ok(rows.filter((r) => r.result === 'pass').length >= 15);
});
