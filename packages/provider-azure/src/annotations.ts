/**
 * The `sluice.dev/azure-*` Service annotations, parsed and checked in one place without I/O.
 * Each bad value yields one sentence naming the Service, the annotation, the value and
 * what is allowed; an unknown `sluice.dev/azure-*` key is a problem too (a typo would
 * otherwise be silently ignored).
 *
 * Limits are Azure Load Balancer's own: probe interval 5 s minimum (Sluice caps it at
 * 300), probe threshold 1 or more (capped at 10), TCP idle timeout 4-100 minutes.
 */
import { createAnnotationReader, type ServiceProblem, type ServiceSpecView } from '@sluice/core';

export const AZURE_ANNOTATION_PREFIX = 'sluice.dev/azure-';
export const PUBLIC_IP_NAME_ANNOTATION = 'sluice.dev/azure-public-ip-name';
export const INTERNAL_ANNOTATION = 'sluice.dev/azure-internal';
export const INTERNAL_SUBNET_ID_ANNOTATION = 'sluice.dev/azure-internal-subnet-id';
export const PROBE_INTERVAL_ANNOTATION = 'sluice.dev/azure-probe-interval';
export const PROBE_THRESHOLD_ANNOTATION = 'sluice.dev/azure-probe-threshold';
export const IDLE_TIMEOUT_ANNOTATION = 'sluice.dev/azure-idle-timeout';
export const LOAD_BALANCER_NAME_ANNOTATION = 'sluice.dev/azure-load-balancer-name';

/** Every annotation the azure provider reads. */
export const AZURE_ANNOTATIONS: readonly string[] = [
  PUBLIC_IP_NAME_ANNOTATION,
  INTERNAL_ANNOTATION,
  INTERNAL_SUBNET_ID_ANNOTATION,
  PROBE_INTERVAL_ANNOTATION,
  PROBE_THRESHOLD_ANNOTATION,
  IDLE_TIMEOUT_ANNOTATION,
  LOAD_BALANCER_NAME_ANNOTATION,
];

export const DEFAULT_PROBE_INTERVAL = 5;
export const DEFAULT_PROBE_THRESHOLD = 2;
export const DEFAULT_IDLE_TIMEOUT = 4;

/** Where the load balancer's one frontend IP comes from. */
export type FrontendSetting =
  /** A Standard static public IP `<lb>-pip` that Sluice creates, owns and deletes. */
  | { readonly kind: 'owned-public-ip' }
  /** An existing public IP in the resource group, named by annotation; never deleted by Sluice. */
  | { readonly kind: 'named-public-ip'; readonly name: string }
  /** A private frontend in a subnet. */
  | { readonly kind: 'internal'; readonly subnetId: string };

export interface AzureServiceSettings {
  readonly frontend: FrontendSetting;
  readonly probeIntervalSeconds: number;
  readonly probeThreshold: number;
  readonly idleTimeoutMinutes: number;
  /** The shared load balancer the Service's parts live in; absent: a load balancer of its own. */
  readonly sharedLoadBalancer?: string | undefined;
}

/** Azure resource names for public IPs: 1-80 chars, word chars, periods, hyphens; ends in a word char. */
export const AZURE_NAME = /^[A-Za-z0-9](?:[\w.-]{0,78}\w)?$/;
export const SUBNET_ID = /^\/subscriptions\/[^/\s]+\/resourceGroups\/[^/\s]+\/providers\/Microsoft\.Network\/virtualNetworks\/[^/\s]+\/subnets\/[^/\s]+$/i;

/** What the provider's options set for a Service whose annotations say nothing. */
export interface AzureAnnotationDefaults {
  /** @default {@link DEFAULT_PROBE_INTERVAL} */
  readonly probeIntervalSeconds?: number;
  /** @default {@link DEFAULT_PROBE_THRESHOLD} */
  readonly probeThreshold?: number;
}

/** Reads the Service's azure annotations; problems are returned, never thrown. */
export function parseAzureAnnotations(service: ServiceSpecView, defaults: AzureAnnotationDefaults = {}): { settings: AzureServiceSettings; problems: ServiceProblem[] } {
  const reader = createAnnotationReader(service);
  const { problems, invalid, raw, integer } = reader;
  reader.rejectUnknown(AZURE_ANNOTATION_PREFIX, AZURE_ANNOTATIONS, 'azure');

  let internal = false;
  const rawInternal = raw(INTERNAL_ANNOTATION);
  if (rawInternal !== undefined) {
    if (rawInternal === 'true' || rawInternal === 'false') internal = rawInternal === 'true';
    else invalid(INTERNAL_ANNOTATION, 'allowed are true, false');
  }

  let frontend: FrontendSetting = { kind: 'owned-public-ip' };
  const rawSubnet = raw(INTERNAL_SUBNET_ID_ANNOTATION);
  const rawPublicIp = raw(PUBLIC_IP_NAME_ANNOTATION);
  if (internal) {
    if (rawSubnet === undefined) {
      invalid(INTERNAL_ANNOTATION, `allowed only together with ${INTERNAL_SUBNET_ID_ANNOTATION} naming the subnet of the private frontend`);
    } else if (!SUBNET_ID.test(rawSubnet)) {
      invalid(
        INTERNAL_SUBNET_ID_ANNOTATION,
        'allowed is a subnet resource ID (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Network/virtualNetworks/<vnet>/subnets/<subnet>)',
      );
    } else {
      frontend = { kind: 'internal', subnetId: rawSubnet };
    }
    if (rawPublicIp !== undefined) {
      invalid(PUBLIC_IP_NAME_ANNOTATION, `allowed only for a public frontend, not together with ${INTERNAL_ANNOTATION}="true"`);
    }
  } else {
    if (rawSubnet !== undefined) {
      invalid(INTERNAL_SUBNET_ID_ANNOTATION, `allowed only together with ${INTERNAL_ANNOTATION}="true"`);
    }
    if (rawPublicIp !== undefined) {
      if (AZURE_NAME.test(rawPublicIp)) frontend = { kind: 'named-public-ip', name: rawPublicIp };
      else {
        invalid(
          PUBLIC_IP_NAME_ANNOTATION,
          'allowed is the name of a public IP address in the resource group: 1 to 80 letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore',
        );
      }
    }
  }

  const probeIntervalSeconds = integer(PROBE_INTERVAL_ANNOTATION, 5, 300, defaults.probeIntervalSeconds ?? DEFAULT_PROBE_INTERVAL, ' of seconds');
  const probeThreshold = integer(PROBE_THRESHOLD_ANNOTATION, 1, 10, defaults.probeThreshold ?? DEFAULT_PROBE_THRESHOLD);
  const idleTimeoutMinutes = integer(IDLE_TIMEOUT_ANNOTATION, 4, 100, DEFAULT_IDLE_TIMEOUT, ' of minutes');

  let sharedLoadBalancer: string | undefined;
  const rawShared = raw(LOAD_BALANCER_NAME_ANNOTATION);
  if (rawShared !== undefined) {
    if (AZURE_NAME.test(rawShared)) sharedLoadBalancer = rawShared;
    else {
      invalid(
        LOAD_BALANCER_NAME_ANNOTATION,
        'allowed is the name of a Standard load balancer in the resource group: 1 to 80 letters, digits, underscores, periods and hyphens, starting with a letter or digit and ending with a letter, digit or underscore',
      );
    }
  }

  return { settings: { frontend, probeIntervalSeconds, probeThreshold, idleTimeoutMinutes, ...(sharedLoadBalancer !== undefined ? { sharedLoadBalancer } : {}) }, problems };
}
