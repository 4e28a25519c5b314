/**
 * Converges one target group's registrations to the backends of its Service port.
 *
 * Plain set algebra over `ip:port`:
 * - wanted (weight > 0) and not registered, or registered but draining: register (a
 *   draining target that is wanted again is put back in service);
 * - registered, not draining, and not wanted (gone, or weight 0): deregister. AWS then
 *   drains it for the target group's deregistration delay.
 * - already draining and not wanted: nothing; deregistering again would restart nothing
 *   and only cost a call.
 *
 * Registrations go first, in batches of at most {@link MAX_TARGETS_PER_CALL}, then
 * deregistrations: a replacement is on the load balancer before what it replaces leaves.
 * A failure part-way leaves a state the next DescribeTargetHealth shows as it is, so the
 * next call continues from there instead of repeating what succeeded.
 */
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Backend } from '@sluice/core';
import type { AwsApi } from './aws-api.ts';
import { isDrainingState, type TargetHealthLike } from './health-map.ts';

/** The AWS Load Balancer Controller's batch; ELBv2 documents no per-call maximum. */
export const MAX_TARGETS_PER_CALL = 200;

export interface Target {
  readonly Id: string;
  readonly Port: number;
}

export interface TargetChanges {
  readonly register: readonly Target[];
  readonly deregister: readonly Target[];
}

const key = (ip: string, port: number) => `${ip}:${port}`;

/** Pure: what to register and deregister so the group holds exactly the wanted backends. */
export function planTargets(backends: readonly Pick<Backend, 'ip' | 'port' | 'weight'>[], registered: readonly TargetHealthLike[]): TargetChanges {
  const wanted = new Map<string, Target>();
  for (const b of backends) if (b.weight > 0) wanted.set(key(b.ip, b.port), { Id: b.ip, Port: b.port });
  const current = new Map<string, { target: Target; draining: boolean }>();
  for (const d of registered) {
    const id = d.Target?.Id;
    const port = d.Target?.Port;
    if (id === undefined || port === undefined) continue;
    current.set(key(id, port), { target: { Id: id, Port: port }, draining: isDrainingState(d.TargetHealth?.State) });
  }
  const register = [...wanted.entries()].filter(([k]) => current.get(k) === undefined || current.get(k)!.draining).map(([, t]) => t);
  const deregister = [...current.entries()].filter(([k, c]) => !wanted.has(k) && !c.draining).map(([, c]) => c.target);
  const order = (a: Target, b: Target) => (key(a.Id, a.Port) < key(b.Id, b.Port) ? -1 : 1);
  return { register: register.sort(order), deregister: deregister.sort(order) };
}

/** Splits `items` into consecutive chunks of at most `size`. */
export function inBatches<T>(items: readonly T[], size: number = MAX_TARGETS_PER_CALL): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Every registration of the group, with its health. */
export async function describeTargets(api: AwsApi, targetGroupArn: string, signal: AbortSignal): Promise<TargetHealthLike[]> {
  const out = await api.elbv2(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }), signal);
  return out.TargetHealthDescriptions ?? [];
}

/** Applies the changes: registrations, then deregistrations, each in batches. */
export async function applyTargetChanges(api: AwsApi, targetGroupArn: string, changes: TargetChanges, signal: AbortSignal): Promise<void> {
  for (const batch of inBatches(changes.register)) {
    await api.elbv2(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: batch }), signal, { targetGroupArn, targets: batch.length });
  }
  for (const batch of inBatches(changes.deregister)) {
    await api.elbv2(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: batch }), signal, { targetGroupArn, targets: batch.length });
  }
}

/** Reads the group's registrations and converges them to `backends` (one port's). */
export async function syncTargets(
  api: AwsApi,
  targetGroupArn: string,
  backends: readonly Pick<Backend, 'ip' | 'port' | 'weight'>[],
  signal: AbortSignal,
  registered?: readonly TargetHealthLike[],
): Promise<TargetChanges> {
  const current = registered ?? (await describeTargets(api, targetGroupArn, signal));
  const changes = planTargets(backends, current);
  await applyTargetChanges(api, targetGroupArn, changes, signal);
  return changes;
}
