/**
 * What `sluice plan` reports for one Service: the writes a reconcile would make right now,
 * split into the provider's (the load balancer) and the cluster's (the Service and its pods).
 * Plain data, so the text and JSON renderings are views of the same thing.
 */

/** A write Sluice would make on the load balancer. */
export type ProviderAction =
  /** ensureLoadBalancer on a missing LB; its initial backends follow as `register` actions. */
  | { readonly kind: 'create'; readonly loadBalancer: string; readonly backends: number }
  /** A change to the LB itself that the read-only calls can see (ports that left the Service). */
  | { readonly kind: 'update'; readonly loadBalancer: string; readonly reason: string }
  /** ensureLoadBalancerDeleted: the Service is being deleted or is no longer Sluice's. */
  | { readonly kind: 'delete'; readonly loadBalancer: string; readonly exists: boolean; readonly reason: string }
  | {
      readonly kind: 'register';
      readonly pod: string;
      readonly address: string;
      readonly servicePort: string;
      readonly weight: number;
      /** The LB holds this address for another pod (the IP was reused); the registration replaces it. */
      readonly replacesPodUid?: string;
    }
  | { readonly kind: 'reweight'; readonly pod: string; readonly address: string; readonly servicePort: string; readonly weight: number; readonly fromWeight: number }
  | { readonly kind: 'drain'; readonly pod: string; readonly address: string; readonly servicePort: string }
  | {
      readonly kind: 'deregister';
      /** `namespace/name`, or '' when no pod in the cluster has this registration's UID or IP. */
      readonly pod: string;
      readonly address: string;
      readonly servicePort: string;
      readonly reason: string;
    };

/** A write Sluice would make on the Kubernetes API (never made by the plan either). */
export type ClusterAction =
  | { readonly kind: 'add-finalizer'; readonly finalizer: string }
  | { readonly kind: 'remove-finalizer'; readonly finalizer: string }
  /** Patch `status.loadBalancer.ingress`; `ingress` is null while the LB does not exist yet. */
  | { readonly kind: 'set-ingress'; readonly ingress: readonly { readonly ip?: string; readonly hostname?: string }[] | null }
  | { readonly kind: 'clear-ingress' }
  | { readonly kind: 'set-gate'; readonly pod: string; readonly status: 'True' | 'False'; readonly reason: string; readonly message: string };

export type ServicePlanStatus = 'changes' | 'in-sync' | 'error';

export interface ServicePlan {
  /** `namespace/name`. */
  readonly service: string;
  /** The provider's name for the Service's LB. */
  readonly loadBalancer: string;
  readonly status: ServicePlanStatus;
  /** With status `error`: the sentence(s) a reconcile would report; nothing would be written. */
  readonly error?: string;
  /** In order: what a reconcile would do to the load balancer. */
  readonly actions: readonly ProviderAction[];
  /** In order: what a reconcile would write to the Service and its pods. */
  readonly cluster: readonly ClusterAction[];
}
