/** Annotations the simulated nodes (kubelet simulator, pod stamper) read from a pod. */

/**
 * Chooses the pod's IP, an address of the node's pod range, instead of the next free one; a
 * dual-stack pod may name one address per family, comma-separated (`10.213.7.7,fd12::7:7`),
 * and gets the next free one of a family it names none for. Another pod may hold the same
 * address: both then use it, as when a CNI hands a terminating pod's IP to a new pod (the API
 * server accepts two pods with the same `status.podIP`). Two processes cannot listen on the
 * same IP and port, so such pods either use different ports or follow one another.
 */
export const POD_IP_ANNOTATION = 'sim.sluice.dev/pod-ip';

/**
 * The address families the pod gets, primary first, comma-separated: `IPv4`, `IPv6`,
 * `IPv4,IPv6` or `IPv6,IPv4`, instead of the node's. Its `status.podIP` is of the first family,
 * and `status.podIPs` lists one address per family in this order. Every family must be one the
 * pod network serves.
 */
export const POD_IP_FAMILIES_ANNOTATION = 'sim.sluice.dev/ip-families';
