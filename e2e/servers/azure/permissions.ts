/**
 * The caller's Azure RBAC permissions, as far as the twin models them: the role definitions
 * assigned to the calling principal (by default one granting `*`, so every call is allowed, as
 * for an Owner), listed by "Permissions - List For Resource" and "List For Resource Group"
 * (Microsoft.Authorization, api-version 2022-04-01: `GET {resource or group}/providers/
 * Microsoft.Authorization/permissions`, one `{ actions, notActions, dataActions,
 * notDataActions }` entry per assigned role, paged). Listing them needs
 * `Microsoft.Authorization/permissions/read` ("Azure permissions for Management and
 * governance": "Lists all the permissions the caller has at a given scope"); without it ARM
 * answers 403 `AuthorizationFailed`.
 *
 * An action is granted when some role's Actions match it and none of that role's NotActions do;
 * `*` matches any run of characters, case-insensitively ("Understand Azure role definitions":
 * Actions, NotActions, wildcard permissions).
 */

import { type ArmContext, type ArmRequest, type ArmResponse, page, type Route, route } from './arm-context.ts';
import { ArmError } from './arm-errors.ts';
import type { JsonObject } from './json.ts';

/** One role definition's control-plane permissions. */
export interface RolePermission {
  readonly actions: readonly string[];
  readonly notActions?: readonly string[];
}

/** What an unconfigured twin grants: everything. */
export const ALLOW_ALL: readonly RolePermission[] = [{ actions: ['*'] }];

export const PERMISSIONS_READ = 'Microsoft.Authorization/permissions/read';

function matches(pattern: string, action: string): boolean {
  const body = pattern
    .split('*')
    .map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i').test(action);
}

export function granted(roles: readonly RolePermission[], action: string): boolean {
  return roles.some((r) => r.actions.some((a) => matches(a, action)) && !(r.notActions ?? []).some((n) => matches(n, action)));
}

/** ARM's 403 for an action the caller's roles do not grant at `scope`. */
export function authorizationFailed(principal: string | undefined, action: string, scope: string): ArmError {
  return new ArmError(
    403,
    'AuthorizationFailed',
    `The client '${principal ?? 'unknown'}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}

function render(role: RolePermission): JsonObject {
  return { actions: [...role.actions], notActions: [...(role.notActions ?? [])], dataActions: [], notDataActions: [] };
}

function listPermissions(req: ArmRequest, ctx: ArmContext): ArmResponse {
  const { subscriptionId, resourceGroupName } = req.params as Record<string, string>;
  ctx.store.requireGroup(subscriptionId!, resourceGroupName!);
  const scope = req.path.replace(/\/providers\/Microsoft\.Authorization\/permissions$/i, '').replace(/\/{2,}/g, '/');
  const roles = ctx.callerRoles();
  if (!granted(roles, PERMISSIONS_READ)) throw authorizationFailed(req.principal, PERMISSIONS_READ, scope);
  return { status: 200, body: page(roles.map(render), req, ctx) };
}

// The SDK sends an empty parentResourcePath as `//`; the router skips empty segments, as ARM does.
const RG = '/subscriptions/:subscriptionId/resourceGroups/:resourceGroupName';

export const permissionRoutes: readonly Route[] = [
  route('GET', `${RG}/providers/Microsoft.Authorization/permissions`, 'AzurePermissionsForResourceGroup_List', listPermissions),
  route('GET', `${RG}/providers/:resourceProviderNamespace/:resourceType/:resourceName/providers/Microsoft.Authorization/permissions`, 'AzurePermissionsForResource_List', listPermissions),
];
