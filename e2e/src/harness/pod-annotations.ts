/** Annotations the simulated nodes (kubelet simulator, pod stamper) read from a pod. */

/**
 * Chooses the pod's IP, an address of the node's pod range, instead of the next free one.
 * Another pod may hold the same address: both then use it, as when a CNI hands a terminating
 * pod's IP to a new pod (the API server accepts two pods with the same `status.podIP`). Two
 * processes cannot listen on the same IP and port, so such pods either use different ports
 * or follow one another.
 */
export const POD_IP_ANNOTATION = 'sim.sluice.dev/pod-ip';
