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
 *
 * The registrations diffed against are the ones the last health read showed (the read the
 * core decided on), with Sluice's own changes since applied (resource-cache.ts); only when
 * none are known is the group described first.
 */
import { DeregisterTargetsCommand, DescribeTargetHealthCommand, RegisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { Backend } from '@sluice/core';
import { diffByKey, runBatches, throwFirstFailure } from '@sluice/core/provider-kit';
import type { AwsApi } from './aws-api.ts';
import { isDrainingState, type TargetHealthLike } from './health-map.ts';
import type { ResourceCache } from './resource-cache.ts';
import { ALL_ZONES, type Target, type TargetPlacer } from './target-placement.ts';

/** The AWS Load Balancer Controller's batch; ELBv2 documents no per-call maximum. */
export const MAX_TARGETS_PER_CALL = 200;

export type { Target } from './target-placement.ts';

export interface TargetChanges {
  readonly register: readonly Target[];
  readonly deregister: readonly Target[];
}

const key = (ip: string, port: number) => `${ip}:${port}`;

/** Pure: what to register and deregister so the group holds exactly the wanted backends. */
export function planTargets(backends: readonly Pick<Backend, 'ip' | 'port' | 'weight'>[], registered: readonly TargetHealthLike[]): TargetChanges {
  const wanted = backends.filter((b) => b.weight > 0).map((b): Target => ({ Id: b.ip, Port: b.port }));
  const diff = diffByKey(wanted, registered, {
    desiredKey: (t) => key(t.Id, t.Port),
    actualKey: (d) => (d.Target?.Id === undefined || d.Target.Port === undefined ? undefined : key(d.Target.Id, d.Target.Port)),
    // A wanted target that is draining is registered again, which puts it back in service.
    same: (_t, d) => !isDrainingState(d.TargetHealth?.State),
  });
  const register = [...diff.toAdd, ...diff.toUpdate.map((p) => p.desired)];
  // A target registered with `AvailabilityZone: all` (outside the VPC) is deregistered with it too;
  // one in the VPC with Id and Port only, as it was registered (AWS detected its zone).
  const deregister = diff.toRemove
    .filter((d) => !isDrainingState(d.TargetHealth?.State))
    .map((d): Target => ({ Id: d.Target!.Id!, Port: d.Target!.Port!, ...(d.Target!.AvailabilityZone === ALL_ZONES ? { AvailabilityZone: ALL_ZONES } : {}) }));
  const order = (a: Target, b: Target) => (key(a.Id, a.Port) < key(b.Id, b.Port) ? -1 : 1);
  return { register: register.sort(order), deregister: deregister.sort(order) };
}

/** Every registration of the group, with its health. */
export async function describeTargets(api: AwsApi, targetGroupArn: string, signal: AbortSignal): Promise<TargetHealthLike[]> {
  const out = await api.elbv2(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }), signal);
  return out.TargetHealthDescriptions ?? [];
}

/**
 * Applies the changes: registrations, then deregistrations, each in batches of
 * {@link MAX_TARGETS_PER_CALL}, one call at a time. The first failed batch stops the step (the
 * next call continues from what AWS then has) and skips the deregistrations, so nothing leaves
 * before its replacement is in.
 */
export async function applyTargetChanges(api: AwsApi, targetGroupArn: string, changes: TargetChanges, signal: AbortSignal): Promise<void> {
  const options = { size: MAX_TARGETS_PER_CALL, stopOnFailure: true, signal };
  throwFirstFailure(
    await runBatches(changes.register, options, async (batch) => {
      await api.elbv2(new RegisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [...batch] }), signal, { targetGroupArn, targets: batch.length });
    }),
  );
  throwFirstFailure(
    await runBatches(changes.deregister, options, async (batch) => {
      await api.elbv2(new DeregisterTargetsCommand({ TargetGroupArn: targetGroupArn, Targets: [...batch] }), signal, { targetGroupArn, targets: batch.length });
    }),
  );
}

/**
 * Pure: the registrations after `changes` succeeded. A registered target is `initial` until
 * AWS has checked it; a deregistered one is `draining` (AWS keeps it so for the deregistration
 * delay, then drops it, which the next DescribeTargetHealth shows).
 */
export function afterChanges(registered: readonly TargetHealthLike[], changes: TargetChanges): TargetHealthLike[] {
  const byKey = new Map<string, TargetHealthLike>();
  for (const d of registered) if (d.Target?.Id !== undefined && d.Target.Port !== undefined) byKey.set(key(d.Target.Id, d.Target.Port), d);
  for (const t of changes.register) byKey.set(key(t.Id, t.Port), { Target: { ...t }, TargetHealth: { State: 'initial', Reason: 'Elb.RegistrationInProgress' } });
  for (const t of changes.deregister) byKey.set(key(t.Id, t.Port), { Target: { ...t }, TargetHealth: { State: 'draining', Reason: 'Target.DeregistrationInProgress' } });
  return [...byKey.values()];
}

/** Every registration of the group, with its health; what it shows is remembered in `cache`. */
export async function describeRemembered(api: AwsApi, cache: ResourceCache, targetGroupArn: string, signal: AbortSignal): Promise<TargetHealthLike[]> {
  const registered = await describeTargets(api, targetGroupArn, signal);
  cache.setRegistrations(targetGroupArn, registered);
  return registered;
}

/**
 * Converges the group's registrations to `backends` (one port's), diffing against
 * `registered` when given, else what `cache` knows, else a fresh DescribeTargetHealth.
 * Registrations are placed by `placer` first (target-placement.ts: `AvailabilityZone: all`
 * outside the VPC). The result is remembered; a failed change forgets the group's
 * registrations and tells the placer.
 */
export async function syncTargets(
  api: AwsApi,
  cache: ResourceCache,
  targetGroupArn: string,
  backends: readonly Pick<Backend, 'ip' | 'port' | 'weight'>[],
  signal: AbortSignal,
  registered?: readonly TargetHealthLike[],
  placer?: TargetPlacer,
): Promise<TargetChanges> {
  const current = registered ?? cache.registrations(targetGroupArn) ?? (await describeRemembered(api, cache, targetGroupArn, signal));
  const planned = planTargets(backends, current);
  if (planned.register.length === 0 && planned.deregister.length === 0) {
    cache.setRegistrations(targetGroupArn, current);
    return planned;
  }
  const changes = placer && planned.register.length > 0 ? { ...planned, register: await placer.place(planned.register) } : planned;
  try {
    await applyTargetChanges(api, targetGroupArn, changes, signal);
  } catch (error) {
    cache.forgetRegistrations(targetGroupArn);
    placer?.registrationFailed(error);
    throw error;
  }
  cache.setRegistrations(targetGroupArn, afterChanges(current, changes));
  return changes;
}
