/**
 * The network security group options of the azure provider (options.ts fills the rest): the
 * group by name or resource ID, and the priority range Sluice owns in it.
 */
import { TerminalError } from '@sluice/core';
import { AZURE_NAME } from './annotations.ts';
import { DEFAULT_NSG_PRIORITIES, type PriorityRange } from './nsg-spec.ts';
import { type AzureProviderOptions, ENV, FLAG } from './options.ts';

const NSG_ID = /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Network\/networkSecurityGroups\/([^/]+)$/i;

/** The group from a name (in `resourceGroup`) or a resource ID; undefined when malformed. */
export function parseNsg(value: string, resourceGroup: string): { resourceGroup: string; name: string } | undefined {
  const m = NSG_ID.exec(value);
  if (m) return AZURE_NAME.test(m[2]!) ? { resourceGroup: m[1]!, name: m[2]! } : undefined;
  return AZURE_NAME.test(value) ? { resourceGroup, name: value } : undefined;
}

export function parsePriorities(value: string): PriorityRange | undefined {
  const m = /^(\d{3,4})-(\d{3,4})$/.exec(value);
  if (!m) return undefined;
  const range = { min: Number(m[1]), max: Number(m[2]) };
  return range.min >= 100 && range.max <= 4096 && range.min <= range.max ? range : undefined;
}

/** Resolves networkSecurityGroup and nsgPriorities; a malformed value is one TerminalError sentence. */
export function resolveNsgOptions(
  options: AzureProviderOptions,
  env: Readonly<Record<string, string | undefined>>,
  resourceGroup: string,
): { securityGroup: { resourceGroup: string; name: string } | undefined; nsgPriorities: PriorityRange } {
  const rawNsg = (options.networkSecurityGroup ?? env[ENV.networkSecurityGroup])?.trim() || undefined;
  const nsgSource = options.networkSecurityGroup !== undefined ? `${FLAG.networkSecurityGroup} (option networkSecurityGroup)` : `${ENV.networkSecurityGroup} (option networkSecurityGroup)`;
  const securityGroup = rawNsg === undefined ? undefined : parseNsg(rawNsg, resourceGroup);
  if (rawNsg !== undefined && securityGroup === undefined) {
    throw new TerminalError(
      `Azure provider ${nsgSource} is "${rawNsg}", but it must be a network security group name (1 to 80 letters, digits, underscores, periods and hyphens) or its resource ID.`,
      { field: FLAG.networkSecurityGroup },
    );
  }
  const rawPriorities = (options.nsgPriorities ?? env[ENV.nsgPriorities])?.trim() || undefined;
  const nsgPriorities = rawPriorities === undefined ? DEFAULT_NSG_PRIORITIES : parsePriorities(rawPriorities);
  if (nsgPriorities === undefined) {
    const source = options.nsgPriorities !== undefined ? `${FLAG.nsgPriorities} (option nsgPriorities)` : `${ENV.nsgPriorities} (option nsgPriorities)`;
    throw new TerminalError(`Azure provider ${source} is "${rawPriorities}", but it must be a range min-max within 100-4096, such as 3000-3999.`, { field: FLAG.nsgPriorities });
  }

  return { securityGroup, nsgPriorities };
}
