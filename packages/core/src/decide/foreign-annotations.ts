/**
 * The clouds' own Service annotations, which their controllers read and Sluice does not. A
 * Service carrying one gets told what Sluice reads instead; one that narrows who can reach
 * the LB (an "internal" LB) would be published more widely if ignored, so on the provider of
 * that cloud it is refused until the Sluice equivalent replaces it.
 *
 * Names follow the clouds' documentation: AWS Load Balancer Controller's Service annotations,
 * cloud-provider-azure's LoadBalancer annotations, GKE's LoadBalancer Service parameters.
 */
export interface ForeignAnnotation {
  /** The cloud whose controller reads it. */
  readonly cloud: 'aws' | 'azure' | 'gcp';
  /** What Sluice reads instead, or undefined when it has no equivalent. */
  readonly equivalent?: string;
  /** Ignoring it (with this value) would expose the LB more widely than asked. */
  readonly restricts: (value: string) => boolean;
}

const truthy = (v: string) => v.trim().toLowerCase() === 'true';
const never = () => false;
const nonEmpty = (v: string) => v.trim() !== '';
const RANGES = 'spec.loadBalancerSourceRanges';

const EXACT: Record<string, ForeignAnnotation> = {
  'service.beta.kubernetes.io/aws-load-balancer-internal': { cloud: 'aws', equivalent: 'sluice.dev/aws-scheme: internal', restricts: truthy },
  'service.beta.kubernetes.io/aws-load-balancer-scheme': { cloud: 'aws', equivalent: 'sluice.dev/aws-scheme', restricts: (v) => v.trim() === 'internal' },
  // Frontend security groups chosen by the user replace the controller's own (aws-load-balancer-controller, "Security Groups for Load Balancers"): they decide who may connect.
  'service.beta.kubernetes.io/aws-load-balancer-security-groups': { cloud: 'aws', equivalent: RANGES, restricts: nonEmpty },
  'service.beta.kubernetes.io/aws-load-balancer-subnets': { cloud: 'aws', equivalent: 'sluice.dev/aws-subnets', restricts: never },
  'service.beta.kubernetes.io/aws-load-balancer-healthcheck-protocol': { cloud: 'aws', equivalent: 'sluice.dev/aws-healthcheck-protocol', restricts: never },
  'service.beta.kubernetes.io/aws-load-balancer-healthcheck-port': { cloud: 'aws', equivalent: 'sluice.dev/aws-healthcheck-port', restricts: never },
  'service.beta.kubernetes.io/aws-load-balancer-healthcheck-path': { cloud: 'aws', equivalent: 'sluice.dev/aws-healthcheck-path', restricts: never },
  'service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval': { cloud: 'aws', equivalent: 'sluice.dev/aws-healthcheck-interval', restricts: never },
  'service.beta.kubernetes.io/aws-load-balancer-healthcheck-timeout': { cloud: 'aws', equivalent: 'sluice.dev/aws-healthcheck-timeout', restricts: never },
  'service.beta.kubernetes.io/aws-load-balancer-healthcheck-healthy-threshold': { cloud: 'aws', equivalent: 'sluice.dev/aws-healthcheck-healthy-threshold', restricts: never },
  'service.beta.kubernetes.io/aws-load-balancer-healthcheck-unhealthy-threshold': { cloud: 'aws', equivalent: 'sluice.dev/aws-healthcheck-unhealthy-threshold', restricts: never },
  'service.beta.kubernetes.io/aws-load-balancer-ssl-cert': { cloud: 'aws', equivalent: 'sluice.dev/aws-tls-certificate-arn', restricts: never },
  'service.beta.kubernetes.io/aws-load-balancer-ssl-ports': { cloud: 'aws', equivalent: 'sluice.dev/aws-tls-ports', restricts: never },
  'service.beta.kubernetes.io/azure-load-balancer-internal': { cloud: 'azure', equivalent: 'sluice.dev/azure-internal: "true"', restricts: truthy },
  // cloud-provider-azure's LoadBalancer annotations: allowed client ranges and service tags, and a deny of all else.
  'service.beta.kubernetes.io/azure-allowed-ip-ranges': { cloud: 'azure', equivalent: RANGES, restricts: nonEmpty },
  'service.beta.kubernetes.io/azure-allowed-service-tags': { cloud: 'azure', equivalent: RANGES, restricts: nonEmpty },
  'service.beta.kubernetes.io/azure-deny-all-except-load-balancer-source-ranges': { cloud: 'azure', equivalent: RANGES, restricts: truthy },
  'service.beta.kubernetes.io/azure-load-balancer-internal-subnet': { cloud: 'azure', equivalent: 'sluice.dev/azure-internal-subnet-id', restricts: never },
  'service.beta.kubernetes.io/azure-load-balancer-tcp-idle-timeout': { cloud: 'azure', equivalent: 'sluice.dev/azure-idle-timeout', restricts: never },
  'service.beta.kubernetes.io/azure-pip-name': { cloud: 'azure', equivalent: 'sluice.dev/azure-public-ip-name', restricts: never },
  'service.beta.kubernetes.io/azure-load-balancer-health-probe-interval': { cloud: 'azure', equivalent: 'sluice.dev/azure-probe-interval', restricts: never },
  'service.beta.kubernetes.io/azure-load-balancer-health-probe-num-of-probe': { cloud: 'azure', equivalent: 'sluice.dev/azure-probe-threshold', restricts: never },
  'networking.gke.io/load-balancer-type': { cloud: 'gcp', equivalent: 'sluice.dev/gcp-internal: "true"', restricts: (v) => v.trim().toLowerCase() === 'internal' },
  'cloud.google.com/load-balancer-type': { cloud: 'gcp', equivalent: 'sluice.dev/gcp-internal: "true"', restricts: (v) => v.trim().toLowerCase() === 'internal' },
};

const PREFIXES: readonly [string, ForeignAnnotation['cloud']][] = [
  ['service.beta.kubernetes.io/aws-load-balancer-', 'aws'],
  ['service.beta.kubernetes.io/azure-', 'azure'],
  ['networking.gke.io/', 'gcp'],
  ['cloud.google.com/', 'gcp'],
];

/** Set by GKE on Services for Ingress NEGs, not about the Service's own load balancer. */
const NOT_LB = new Set(['cloud.google.com/neg', 'cloud.google.com/neg-status']);

/** What Sluice knows of a foreign annotation, or undefined when the key is not a cloud's LB annotation. */
export function foreignAnnotation(key: string): ForeignAnnotation | undefined {
  if (NOT_LB.has(key)) return undefined;
  const exact = EXACT[key];
  if (exact) return exact;
  const prefix = PREFIXES.find(([p]) => key.startsWith(p));
  return prefix ? { cloud: prefix[1], restricts: never } : undefined;
}
