/**
 * Whether the controller's identity may do what Sluice needs on a resource, from Azure's own
 * answer rather than a trial write: "Permissions - List For Resource" (Microsoft.Authorization)
 * lists the caller's permissions there, one entry per role assignment that reaches the
 * resource (its own, and those inherited from the resource group, subscription and management
 * groups). Listing them needs `Microsoft.Authorization/permissions/read`, which
 * deploy/azure/sluice-role.json grants.
 *
 * An action is allowed when one entry's `actions` match it and none of that entry's
 * `notActions` do, `*` matching any run of characters, case-insensitively ("Understand Azure
 * role definitions": Actions, NotActions, wildcard permissions). Deny assignments are not in
 * the list: ARM can still refuse an action allowed here.
 */
import type { Permission } from '@azure/arm-authorization';
import type { AzureApi } from './azure-api.ts';

/** The resource a permission check is about. */
export interface ResourceRef {
  readonly resourceGroup: string;
  /** e.g. `Microsoft.Network` */
  readonly provider: string;
  /** e.g. `networkSecurityGroups` */
  readonly type: string;
  readonly name: string;
}

function matches(pattern: string, action: string): boolean {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 'i').test(action);
}

/** True when one permission entry grants `action` and does not take it back. */
export function allows(permissions: readonly Permission[], action: string): boolean {
  return permissions.some((p) => (p.actions ?? []).some((a) => matches(a, action)) && !(p.notActions ?? []).some((n) => matches(n, action)));
}

/** The caller's permissions on the resource, every page. */
export async function listPermissions(api: AzureApi, resource: ResourceRef, signal: AbortSignal): Promise<Permission[]> {
  return api.call('permissions.listForResource', `${resource.type}/${resource.name}`, signal, async (o) => {
    const out: Permission[] = [];
    // An empty parentResourcePath: the resource is not a child of another.
    for await (const p of api.authorization.permissions.listForResource(resource.resourceGroup, resource.provider, '', resource.type, resource.name, { abortSignal: o.abortSignal })) out.push(p);
    return out;
  });
}

/** Of `actions`, those the caller may not do on the resource. */
export async function missingActions(api: AzureApi, resource: ResourceRef, actions: readonly string[], signal: AbortSignal): Promise<string[]> {
  const permissions = await listPermissions(api, resource, signal);
  return actions.filter((a) => !allows(permissions, a));
}
