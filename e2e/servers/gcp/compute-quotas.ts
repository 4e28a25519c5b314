/**
 * Compute Engine's API rate quotas, as Google documents them in "Compute Engine rate quotas"
 * (docs.cloud.google.com/compute/docs/api-rate-limits):
 *
 * - Quotas apply per project, to groups of methods, each group counted separately. The
 *   simplified metrics the page recommends are modelled: regional and zonal `get`/`list`
 *   methods count against `reads_per_region` and other regional and zonal methods against
 *   `writes_per_region`, per project and region; global methods against `global_reads` and
 *   `global_writes`, per project.
 * - Quotas are enforced per minute, in synchronized intervals: a quota used up at 10:00:15
 *   refills at 10:01:00 (fixed windows aligned to the minute, not a bucket).
 * - The page names the metrics but not their default values (the console shows them per
 *   project). Its earlier revision gave 1,500 requests per minute per project for each
 *   group it listed (Queries, Read requests, List requests, Operation read requests); those
 *   numbers are the defaults here for every group, a conservative floor since the page says
 *   the simplified metrics "offer higher limits".
 * - Over quota the server answers `rateLimitExceeded` (gce-errors.ts `rateLimited`): 429 by
 *   default, or 403 as the page itself states, chosen by the server's `throttleStatus`.
 *   Google sends no Retry-After.
 *
 * Reads here are `get`, `list`, `aggregatedList`, `listNetworkEndpoints`, `getHealth` and the
 * operation polls (`get`, `wait`); every other method is a write.
 */
import { type Limit, perWindow } from '../kit/limits.ts';
import type { Charge } from '../kit/rate-limiter.ts';
import type { Route } from './compute-context.ts';

export type ComputeLimitName = 'reads_per_region' | 'writes_per_region' | 'global_reads' | 'global_writes';

const MINUTE = 60_000;

/** The defaults (see the file comment for the document and the caveat on the numbers). */
export const COMPUTE_DEFAULT_LIMITS: Readonly<Record<ComputeLimitName, Limit>> = {
  reads_per_region: perWindow(1_500, MINUTE),
  writes_per_region: perWindow(1_500, MINUTE),
  global_reads: perWindow(1_500, MINUTE),
  global_writes: perWindow(1_500, MINUTE),
};

/** How each limit reads in a quota error: the metric and the limit, as Google names them. */
export const QUOTA_NAMES: Readonly<Record<ComputeLimitName, { readonly metric: string; readonly limit: string }>> = {
  reads_per_region: { metric: 'Read requests per region', limit: 'Read requests per minute per region' },
  writes_per_region: { metric: 'Write requests per region', limit: 'Write requests per minute per region' },
  global_reads: { metric: 'Read requests', limit: 'Read requests per minute' },
  global_writes: { metric: 'Write requests', limit: 'Write requests per minute' },
};

const READ = /\.(get|list|aggregatedList|listNetworkEndpoints|getHealth|wait)$/;

/** Regional or zonal: the template names a resource under a region or a zone. */
const SCOPED = /\/(regions\/\{region\}|zones\/\{zone\})\//;

/** The quota `route` with `params` counts against; `regionOfZone` maps a zone to its region. */
export function computeCharges(route: Route, params: Readonly<Record<string, string>>, regionOfZone: (project: string, zone: string) => string): Charge[] {
  const project = params['project'] ?? '';
  const read = READ.test(route.operation);
  if (!SCOPED.test(route.pattern)) return [{ limit: read ? 'global_reads' : 'global_writes', scope: project }];
  const region = params['region'] ?? regionOfZone(project, params['zone'] ?? '');
  return [{ limit: read ? 'reads_per_region' : 'writes_per_region', scope: `${project}/${region}` }];
}

/** The region of `zone` when the project does not seed it: GCE zone names are `<region>-<letter>`. */
export function regionFromZoneName(zone: string): string {
  return zone.replace(/-[a-z]$/, '');
}
