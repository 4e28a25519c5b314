/**
 * Starting asynchronous operations the way the network resource provider answers them:
 * the 201/200/202 response carries `Azure-AsyncOperation` (…/locations/{loc}/operations/{id})
 * and `Location` (…/operationResults/{id}) with the request's api-version, and `Retry-After`.
 * The record's provisioning state follows its operations: Updating (or Deleting) while any
 * runs, then Succeeded, or Failed when the last one failed.
 */
import type { ArmContext, ArmRequest } from './arm-context.ts';
import type { ArmErrorDetail } from './arm-errors.ts';
import { type AsyncOperation, DEFAULT_OPERATION_ERROR, type OperationSpec, runningFor, startOperation } from './arm-operations.ts';
import type { ResourceRecord } from './arm-store.ts';
import type { Json } from './json.ts';
import { idKey } from './resource-ids.ts';

export function operationUrls(ctx: ArmContext, op: AsyncOperation, apiVersion: string): { asyncOperation: string; location: string } {
  const { subscriptionId, location, namespace } = op.data.spec;
  const q = `?api-version=${encodeURIComponent(apiVersion)}`;
  if (namespace === 'Microsoft.Resources') {
    const url = `${ctx.endpoint}/subscriptions/${subscriptionId}/operationresults/${op.id}${q}`;
    return { asyncOperation: url, location: url };
  }
  const base = `${ctx.endpoint}/subscriptions/${subscriptionId}/providers/Microsoft.Network/locations/${location}`;
  return { asyncOperation: `${base}/operations/${op.id}${q}`, location: `${base}/operationResults/${op.id}${q}` };
}

/** Headers announcing an operation; resource group deletion (Microsoft.Resources) uses Location only. */
export function operationHeaders(ctx: ArmContext, op: AsyncOperation, apiVersion: string): Record<string, string> {
  const urls = operationUrls(ctx, op, apiVersion);
  const headers: Record<string, string> = { Location: urls.location, 'Retry-After': String(ctx.retryAfterSeconds) };
  if (op.data.spec.namespace === 'Microsoft.Network') headers['Azure-AsyncOperation'] = urls.asyncOperation;
  return headers;
}

/** What a write does to its record when its operation succeeds. */
export interface WriteEffect {
  /** `update`: the record stays (provisioning state to Succeeded); `delete`: it goes. */
  readonly effect: 'update' | 'delete';
  /** The resource as the final GET of `Location` answers it. */
  readonly render?: () => Json | undefined;
}

/** Starts the operation of a write on `record` and returns the response headers announcing it. */
export function startWrite(ctx: ArmContext, req: ArmRequest, record: ResourceRecord, write: WriteEffect): Record<string, string> {
  const deleting = write.effect === 'delete';
  record.provisioningState = deleting ? 'Deleting' : 'Updating';
  const failWith = operationFailure(ctx, req);
  const spec: OperationSpec = {
    subscriptionId: record.ref.subscriptionId,
    location: typeof record.body['location'] === 'string' ? record.body['location'] : 'westus',
    method: req.method === 'DELETE' ? 'DELETE' : req.method === 'POST' ? 'POST' : 'PUT',
    resourceId: record.id,
    namespace: 'Microsoft.Network',
    ...(failWith ? { failWith } : {}),
    ...(write.render ? { render: write.render } : {}),
    complete: (outcome, op) => {
      record.pending.delete(op.id);
      if (deleting) {
        if (outcome === 'Succeeded') {
          if (ctx.store.get(record.id) === record) ctx.store.remove(record.id);
        } else if (record.pending.size === 0) {
          record.provisioningState = 'Failed';
        }
        return;
      }
      if (record.pending.size > 0 || record.provisioningState === 'Deleting') return;
      record.provisioningState = outcome === 'Failed' ? 'Failed' : 'Succeeded';
    },
  };
  const op = startOperation(ctx.operations, spec);
  record.pending.add(op.id);
  return operationHeaders(ctx, op, req.apiVersion);
}

/** The running operation of a record, if any (its status URL goes into AnotherOperationInProgress). */
export function runningOperationUrl(ctx: ArmContext, record: ResourceRecord, apiVersion: string): string | undefined {
  const op = runningFor(ctx.operations, idKey(record.id))[0];
  return op === undefined ? undefined : operationUrls(ctx, op, apiVersion).asyncOperation;
}

/** The error an armed operation fault says the operation `req` starts must end with, if any. */
export function operationFailure(ctx: ArmContext, req: ArmRequest): ArmErrorDetail | undefined {
  const fault = ctx.faults.takeOperationFault(req.method, req.operation);
  return fault === undefined ? undefined : (fault.error ?? DEFAULT_OPERATION_ERROR);
}
