/**
 * What a Service asks for against what the provider enforces. Nothing a Service asks for is
 * silently ignored: a security setting the provider cannot enforce is a problem (no LB until
 * it is fixed), anything else it cannot honour is a warning naming the field. Pure.
 */
import { parsePodWeight, WEIGHT_ANNOTATION } from '../model/annotations.ts';
import type { PodLike } from '../model/kube-types.ts';
import { type ServiceSpecView, SOURCE_RANGES_ANNOTATION } from '../model/service.ts';
import type { ProviderCapabilities, ServiceProblem } from '../provider.ts';
import { foreignAnnotation } from './foreign-annotations.ts';

export interface FeatureFindings {
  readonly problems: ServiceProblem[];
  readonly warnings: ServiceProblem[];
}

// Kubernetes parses CIDRs leniently (netutils.ParseCIDRSloppy): leading zeros in octets and prefix are read as decimal.
const CIDR4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,3})$/;

/** Whether `s` is an IPv4 or IPv6 CIDR as Kubernetes validates loadBalancerSourceRanges. */
export function isCidr(s: string): boolean {
  const v4 = CIDR4.exec(s);
  if (v4) return v4.slice(1, 5).every((o) => Number(o) <= 255) && Number(v4[5]) <= 32;
  const [addr, bits, extra] = s.split('/');
  if (extra !== undefined || !addr || !bits || !/^\d{1,3}$/.test(bits) || Number(bits) > 128) return false;
  if (!/^[0-9a-fA-F:.]+$/.test(addr) || !addr.includes(':')) return false;
  try {
    return new URL(`http://[${addr}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

export function featureChecks(view: ServiceSpecView, specRangesSet: boolean, capabilities: ProviderCapabilities, providerName: string, pods: readonly PodLike[]): FeatureFindings {
  const problems: ServiceProblem[] = [];
  const warnings: ServiceProblem[] = [];
  const svc = `Service ${view.namespace}/${view.name}`;
  const honours = capabilities.honours;

  if (view.sourceRanges !== undefined) {
    const field = specRangesSet ? 'spec.loadBalancerSourceRanges' : `metadata.annotations[${SOURCE_RANGES_ANNOTATION}]`;
    const bad = view.sourceRanges.filter((r) => !isCidr(r));
    if (bad.length > 0) {
      problems.push({ field, message: `${svc} ${field} has ${bad.map((b) => `"${b}"`).join(', ')}, which is not a CIDR: allowed are IPv4 and IPv6 CIDRs such as 203.0.113.0/24 or 2001:db8::/32.` });
    } else if (!honours.sourceRanges) {
      problems.push({
        field,
        message: `${svc} ${field}=${view.sourceRanges.join(',')} cannot be enforced by the ${providerName} provider, so clients outside the ranges would reach the load balancer: no load balancer is made until the field is removed.`,
      });
    }
  }
  const unserved = (view.ipFamilies ?? ['IPv4']).filter((f) => !honours.ipFamilies.includes(f));
  if (unserved.length > 0) {
    problems.push({
      field: 'spec.ipFamilies',
      message: `${svc} spec.ipFamilies=${(view.ipFamilies ?? []).join(',')} asks for ${unserved.join(' and ')}, which the ${providerName} provider cannot serve: allowed are ${honours.ipFamilies.join(', ')}.`,
    });
  }
  if (view.loadBalancerIP !== undefined && !honours.loadBalancerIP) {
    warnings.push({ field: 'spec.loadBalancerIP', message: `${svc} spec.loadBalancerIP=${view.loadBalancerIP} is not honoured by the ${providerName} provider: the load balancer gets an address of its own.` });
  }
  if (view.sessionAffinity !== undefined && !honours.sessionAffinity) {
    warnings.push({ field: 'spec.sessionAffinity', message: `${svc} spec.sessionAffinity=${view.sessionAffinity} is not honoured by the ${providerName} provider's load balancer: a client's connections may reach different pods.` });
  }
  for (const key of Object.keys(view.annotations).sort()) {
    const foreign = foreignAnnotation(key);
    if (!foreign) continue;
    const value = view.annotations[key] ?? '';
    const instead = foreign.equivalent ? `Sluice reads ${foreign.equivalent} instead` : 'Sluice has no equivalent';
    const field = `metadata.annotations[${key}]`;
    if (foreign.cloud === providerName && foreign.restricts(value)) {
      problems.push({ field, message: `${svc} annotation ${key}="${value}" is read by the ${foreign.cloud} cloud's own controller, not by Sluice, and ignoring it would publish the load balancer more widely: ${instead}; no load balancer is made until it is replaced.` });
    } else {
      warnings.push({ field, message: `${svc} annotation ${key} is read by the ${foreign.cloud} cloud's own controller, not by Sluice (provider ${providerName}): ${instead}.` });
    }
  }
  if (!capabilities.weights) {
    const weighted = pods.filter((p) => {
      const w = parsePodWeight(p.metadata);
      return !w.problem && w.weight > 1;
    });
    if (weighted.length > 0) {
      const names = weighted.map((p) => p.metadata?.name ?? '').sort();
      warnings.push({
        field: `pods[].metadata.annotations[${WEIGHT_ANNOTATION}]`,
        message: `${svc}: pod${names.length === 1 ? '' : 's'} ${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''} ask${names.length === 1 ? 's' : ''} for a ${WEIGHT_ANNOTATION} above 1, but the ${providerName} provider has no weights: every serving pod gets the same share (0 still drains).`,
      });
    }
  }
  return { problems, warnings };
}
