/**
 * The operation status endpoints a client polls after a 201/202:
 * - `…/providers/Microsoft.Network/locations/{loc}/operations/{id}` (Azure-AsyncOperation):
 *   200 `{"status":"InProgress"}` with Retry-After, then `Succeeded`, or `Failed` with `error`;
 * - `…/providers/Microsoft.Network/locations/{loc}/operationResults/{id}` (Location): 202 while
 *   running, then the result: 204 after a DELETE, 200 with the resource after a PUT, 200 with
 *   the action's result after a POST; the operation's error when it failed;
 * - `/subscriptions/{sub}/operationresults/{id}`: the same for resource group deletion.
 */
import { ArmError } from './arm-errors.ts';
import { type AsyncOperation, DEFAULT_OPERATION_ERROR, pollOperation, statusOf } from './arm-operations.ts';
import { type ArmContext, type ArmRequest, type ArmResponse, route, type Route } from './arm-context.ts';
import type { JsonObject } from './json.ts';
import { operationUrls } from './lro.ts';

function operationNotFound(id: string): ArmError {
  return new ArmError(404, 'OperationNotFound', `The operation '${id}' could not be found.`);
}

function polled(req: ArmRequest, ctx: ArmContext): AsyncOperation {
  const id = req.params['operationId']!;
  const op = pollOperation(ctx.operations, id);
  if (op === undefined || op.data.spec.subscriptionId.toLowerCase() !== req.params['subscriptionId']!.toLowerCase()) throw operationNotFound(id);
  return op;
}

function errorOf(op: AsyncOperation): JsonObject {
  const e = op.data.spec.failWith ?? DEFAULT_OPERATION_ERROR;
  return { code: e.code, message: e.message };
}

function asyncOperationStatus(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const op = polled(req, ctx);
  const status = statusOf(op);
  const body: JsonObject = { status };
  if (status === 'Failed') body['error'] = errorOf(op);
  const headers: Record<string, string> = status === 'InProgress' ? { 'Retry-After': String(ctx.retryAfterSeconds) } : {};
  return { status: 200, body, headers };
}

function operationResult(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const op = polled(req, ctx);
  const status = statusOf(op);
  if (status === 'InProgress') {
    return { status: 202, headers: { Location: operationUrls(ctx, op, req.apiVersion).location, 'Retry-After': String(ctx.retryAfterSeconds) } };
  }
  if (status === 'Failed') {
    const e = errorOf(op);
    throw new ArmError(500, String(e['code']), String(e['message']));
  }
  if (op.data.spec.method === 'DELETE') return { status: 204 };
  if (op.data.spec.method === 'POST') return { status: 200, body: op.data.result ?? {} };
  const resource = op.data.spec.render?.();
  return resource === undefined ? { status: 204 } : { status: 200, body: resource };
}

export const operationRoutes: readonly Route[] = [
  route('GET', '/subscriptions/:subscriptionId/providers/Microsoft.Network/locations/:location/operations/:operationId', 'AsyncOperation_Get', asyncOperationStatus),
  route('GET', '/subscriptions/:subscriptionId/providers/Microsoft.Network/locations/:location/operationResults/:operationId', 'OperationResult_Get', operationResult),
  route('GET', '/subscriptions/:subscriptionId/operationresults/:operationId', 'ResourceGroupOperationResult_Get', operationResult),
];
