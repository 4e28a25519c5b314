/**
 * @sluice/testbed: everything a Sluice e2e job or benchmark stands on, imported by name.
 * - `@sluice/testbed/harness`: a real control plane, the pod network namespace, the kubelet
 *   simulator, the pod stamper, processes and waits;
 * - `@sluice/testbed/load`: the HTTP load generator;
 * - `@sluice/testbed/scenario`: the environment, the controller process, workloads, rollouts
 *   and what they measure.
 */
export * from './harness/index.ts';
export * from './load/index.ts';
export * from './scenario/index.ts';
export * from './ops/index.ts';
