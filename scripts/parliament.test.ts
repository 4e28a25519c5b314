import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALLOWED_FINDINGS, type AllowedFinding, judgeFindings, type ParliamentFinding, parseParliamentOutput } from './parliament.ts';

const finding = (issue: string, detail: unknown, severity = 'MEDIUM'): ParliamentFinding => ({ issue, severity, detail, title: issue.toLowerCase() });
const allow: AllowedFinding[] = [
  { issue: 'UNKNOWN_CONDITION_FOR_ACTION', detail: 'Unknown condition x:Y for action x:Z', reason: 'false positive' },
  { issue: 'RESOURCE_MISMATCH', detail: [{ action: 'x:A', required_format: 'arn:a' }], reason: 'one listener per call' },
];

test('judgeFindings: an allow-listed finding passes (repeats and array order ignored), with its reason', () => {
  const out = judgeFindings(
    [
      finding('UNKNOWN_CONDITION_FOR_ACTION', 'Unknown condition x:Y for action x:Z'),
      finding('UNKNOWN_CONDITION_FOR_ACTION', 'Unknown condition x:Y for action x:Z'),
      finding('RESOURCE_MISMATCH', [
        { required_format: 'arn:a', action: 'x:A' },
        { action: 'x:A', required_format: 'arn:a' },
      ]),
    ],
    allow,
  );
  assert.deepEqual(out.problems, []);
  assert.equal(out.allowed.length, 2);
  assert.match(out.allowed[0]!, /MEDIUM UNKNOWN_CONDITION_FOR_ACTION \(allowed: false positive\)/);
});

test('judgeFindings: any other finding fails, whatever its severity, and an unused allow-list entry fails', () => {
  const out = judgeFindings(
    [
      finding('UNKNOWN_CONDITION_FOR_ACTION', 'Unknown condition x:Y for action x:W'),
      finding('RESOURCE_STAR', 'x', 'LOW'),
      finding('RESOURCE_MISMATCH', [{ action: 'x:A', required_format: 'arn:a' }]),
    ],
    allow,
  );
  assert.deepEqual(out.problems, [
    'parliament: MEDIUM UNKNOWN_CONDITION_FOR_ACTION (unknown_condition_for_action): Unknown condition x:Y for action x:W',
    'parliament: LOW RESOURCE_STAR (resource_star): x',
    'the allow-list entry for UNKNOWN_CONDITION_FOR_ACTION "Unknown condition x:Y for action x:Z" matched no finding; remove it from ALLOWED_FINDINGS',
  ]);
});

test('every allow-list entry carries a reason', () => {
  for (const a of ALLOWED_FINDINGS) assert.ok(a.reason.length > 40, `${a.issue} needs a reason`);
});

test('parseParliamentOutput reads one JSON finding per line', () => {
  const text = `${JSON.stringify(finding('A', 'x'))}\n\n${JSON.stringify(finding('B', ['y'], 'LOW'))}\n`;
  assert.deepEqual(
    parseParliamentOutput(text).map((f) => [f.issue, f.severity]),
    [
      ['A', 'MEDIUM'],
      ['B', 'LOW'],
    ],
  );
  assert.deepEqual(parseParliamentOutput(''), []);
});
