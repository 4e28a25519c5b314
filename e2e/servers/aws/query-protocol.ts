/**
 * The query protocol as the twin reads and writes it ("Query requests for Elastic Load
 * Balancing" and the API Reference's response syntax): list members are flattened as
 * `Targets.member.1.Id`, answers are `<ActionResponse><ActionResult>…</ActionResult>
 * <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata></ActionResponse>`, and errors
 * are the `ErrorResponse` of query-errors.ts.
 */
import { randomUUID } from 'node:crypto';
import type { HookAnswer } from './front.ts';
import { ELB_XMLNS, type QueryError, queryErrorResponse } from './query-errors.ts';

/** The structures of a flattened list (`<prefix>.member.N.<field>`), in member order. */
export function memberStructs(params: URLSearchParams, prefix: string): Record<string, string>[] {
  const byIndex = new Map<number, Record<string, string>>();
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.member\\.(\\d+)\\.(.+)$`);
  for (const [key, value] of params) {
    const m = pattern.exec(key);
    if (!m) continue;
    const index = Number(m[1]);
    const entry = byIndex.get(index) ?? {};
    entry[m[2]!] = value;
    byIndex.set(index, entry);
  }
  return [...byIndex.entries()].sort(([a], [b]) => a - b).map(([, v]) => v);
}

/** The strings of a flattened list (`<prefix>.member.N`), in member order. */
export function memberStrings(params: URLSearchParams, prefix: string): string[] {
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.member\\.(\\d+)$`);
  return [...params]
    .flatMap(([key, value]) => {
      const m = pattern.exec(key);
      return m ? [[Number(m[1]), value] as const] : [];
    })
    .sort(([a], [b]) => a - b)
    .map(([, v]) => v);
}

/** A target as RegisterTargets, DeregisterTargets and DescribeTargetHealth name it. */
export interface TargetParam {
  readonly id: string;
  readonly port: number | undefined;
  readonly availabilityZone: string | undefined;
}

export function targetParams(params: URLSearchParams): TargetParam[] {
  return memberStructs(params, 'Targets').map((t) => ({
    id: t['Id'] ?? '',
    port: t['Port'] === undefined ? undefined : Number(t['Port']),
    availabilityZone: t['AvailabilityZone'],
  }));
}

/** Re-encodes `params` with the Targets list replaced by `targets` (for a call forwarded with part of its targets). */
export function withTargets(params: URLSearchParams, targets: readonly TargetParam[]): Buffer {
  const out = new URLSearchParams();
  for (const [k, v] of params) if (!k.startsWith('Targets.')) out.append(k, v);
  targets.forEach((t, i) => {
    out.append(`Targets.member.${i + 1}.Id`, t.id);
    if (t.port !== undefined) out.append(`Targets.member.${i + 1}.Port`, String(t.port));
    if (t.availabilityZone !== undefined) out.append(`Targets.member.${i + 1}.AvailabilityZone`, t.availabilityZone);
  });
  return Buffer.from(out.toString(), 'utf8');
}

export const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A 200 answer to `action` whose result element holds `resultXml`. */
export function elbAnswer(action: string, resultXml = ''): HookAnswer {
  const requestId = randomUUID();
  const body =
    `<${action}Response xmlns="${ELB_XMLNS}"><${action}Result>${resultXml}</${action}Result>` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { 'Content-Type': 'text/xml', 'x-amzn-RequestId': requestId }, body };
}

/** A client error (HTTP 400, Type Sender) with AWS's code and message. */
export function elbRefusal(code: string, message: string): HookAnswer {
  const error: QueryError = { status: 400, type: 'Sender', code, message };
  return queryErrorResponse(error);
}
