/**
 * Which Azure RBAC actions each ARM operation @sluice/provider-azure calls needs, keyed by the
 * Swagger operationId the ARM test server logs. The first action is the operation's own
 * (Azure's "Azure permissions for Networking", Microsoft.Network resource provider
 * operations); the others are the linked-access "join" actions ARM checks on resources the
 * request body references: the frontend's public IP, the subnet of an internal frontend, the
 * virtual network each IP-based pool address names. The union of all of them is exactly
 * `deploy/azure/sluice-role.json`, which the azure e2e job checks.
 */
export const ARM_OPERATION_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  // the load balancer, written whole: its frontend references a public IP (public) or a
  // subnet (internal), its pools' addresses reference the pod VNet
  LoadBalancers_Get: ['Microsoft.Network/loadBalancers/read'],
  LoadBalancers_CreateOrUpdate: [
    'Microsoft.Network/loadBalancers/write',
    'Microsoft.Network/publicIPAddresses/join/action',
    'Microsoft.Network/virtualNetworks/subnets/join/action',
    'Microsoft.Network/virtualNetworks/joinLoadBalancer/action',
  ],
  LoadBalancers_Delete: ['Microsoft.Network/loadBalancers/delete'],
  // the hot path: one pool at a time, its addresses reference the pod VNet
  LoadBalancerBackendAddressPools_Get: ['Microsoft.Network/loadBalancers/backendAddressPools/read'],
  LoadBalancerBackendAddressPools_CreateOrUpdate: ['Microsoft.Network/loadBalancers/backendAddressPools/write', 'Microsoft.Network/virtualNetworks/joinLoadBalancer/action'],
  // the rule health report (a POST, long-running)
  LoadBalancerLoadBalancingRules_Health: ['Microsoft.Network/loadBalancers/loadBalancingRules/health/action'],
  // the frontend's public IP
  PublicIPAddresses_Get: ['Microsoft.Network/publicIPAddresses/read'],
  PublicIPAddresses_CreateOrUpdate: ['Microsoft.Network/publicIPAddresses/write'],
  PublicIPAddresses_Delete: ['Microsoft.Network/publicIPAddresses/delete'],
  // with --azure-nsg: the group is read, Sluice's rules written and deleted one by one
  NetworkSecurityGroups_Get: ['Microsoft.Network/networkSecurityGroups/read'],
  // (a rule write is followed on its operation only: the rule itself is never read)
  SecurityRules_CreateOrUpdate: ['Microsoft.Network/networkSecurityGroups/securityRules/write'],
  SecurityRules_Delete: ['Microsoft.Network/networkSecurityGroups/securityRules/delete'],
  // the startup check that the identity may write its rules in the --azure-nsg group
  AzurePermissionsForResource_List: ['Microsoft.Authorization/permissions/read'],
  // the startup check that pod IPs lie in the pod VNet
  VirtualNetworks_Get: ['Microsoft.Network/virtualNetworks/read'],
  // long-running operations: Azure-AsyncOperation and Location polls
  AsyncOperation_Get: ['Microsoft.Network/locations/operations/read'],
  OperationResult_Get: ['Microsoft.Network/locations/operationResults/read'],
};

/** `Actions` of an Azure custom role definition (`az role definition create --role-definition`). */
export function roleActions(json: string): string[] {
  const role = JSON.parse(json) as { Actions?: unknown };
  return Array.isArray(role.Actions) ? role.Actions.map(String) : [];
}
