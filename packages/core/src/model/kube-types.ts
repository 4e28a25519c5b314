/**
 * The slices of Kubernetes objects the pure model reads. Structural, so the model runs on
 * plain objects in tests and on @kubernetes/client-node objects in the controller alike.
 */

export interface ObjectMetaLike {
  readonly name?: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly deletionTimestamp?: Date | string;
  readonly finalizers?: readonly string[];
  readonly resourceVersion?: string;
  readonly generation?: number;
  readonly creationTimestamp?: Date | string;
}

export interface ServiceLike {
  readonly metadata?: ObjectMetaLike;
  readonly spec?: {
    readonly type?: string;
    readonly loadBalancerClass?: string;
    readonly selector?: Readonly<Record<string, string>> | null;
    readonly loadBalancerSourceRanges?: readonly string[] | null;
    readonly loadBalancerIP?: string | null;
    readonly sessionAffinity?: string | null;
    readonly ipFamilies?: readonly string[] | null;
    readonly ports?: readonly {
      readonly name?: string;
      readonly port: number;
      readonly protocol?: string;
      readonly targetPort?: number | string;
    }[];
  };
  readonly status?: {
    readonly loadBalancer?: {
      readonly ingress?: readonly { readonly ip?: string; readonly hostname?: string; readonly ipMode?: string }[];
    };
  };
}

export interface EndpointSliceLike {
  readonly metadata?: ObjectMetaLike;
  readonly addressType?: string;
  readonly ports?: readonly { readonly name?: string; readonly port?: number; readonly protocol?: string }[];
  readonly endpoints?: readonly {
    readonly addresses?: readonly string[];
    readonly conditions?: { readonly ready?: boolean; readonly serving?: boolean; readonly terminating?: boolean };
    readonly nodeName?: string;
    readonly zone?: string;
    readonly targetRef?: { readonly kind?: string; readonly name?: string; readonly namespace?: string; readonly uid?: string };
  }[];
}

export interface PodConditionLike {
  readonly type: string;
  readonly status: string;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: Date | string;
}

export interface PodLike {
  readonly metadata?: ObjectMetaLike;
  readonly spec?: {
    readonly nodeName?: string;
    readonly readinessGates?: readonly { readonly conditionType: string }[];
    readonly containers?: readonly {
      readonly name: string;
      readonly ports?: readonly { readonly name?: string; readonly containerPort: number; readonly protocol?: string }[];
    }[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly podIP?: string;
    readonly podIPs?: readonly { readonly ip: string }[];
    readonly conditions?: readonly PodConditionLike[];
    readonly containerStatuses?: readonly {
      readonly name: string;
      readonly ready?: boolean;
      readonly state?: { readonly terminated?: unknown; readonly running?: unknown; readonly waiting?: unknown };
    }[];
  };
}

/** `namespace/name` of an object. */
export function objectKey(meta: ObjectMetaLike | undefined): string {
  return `${meta?.namespace ?? ''}/${meta?.name ?? ''}`;
}

/** The status of a pod condition, or undefined when absent. */
export function podCondition(pod: PodLike, type: string): PodConditionLike | undefined {
  return pod.status?.conditions?.find((c) => c.type === type);
}
