/**
 * The pods' subnetwork, which every NEG names (a GCE_VM_IP_PORT endpoint's IP must belong to
 * its VM in the NEG's network and subnetwork: "Zonal network endpoint groups overview"). The
 * provider's `subnetwork` option when given; otherwise the one ordinary (purpose PRIVATE)
 * subnetwork the network has in the region, read once. None or several is one sentence asking
 * for the option, and no NEG is made.
 */
import { TerminalError } from '@sluice/core';
import type { GcpApi } from './gcp-api.ts';
import { sameResource } from './names.ts';

export class PodSubnetwork {
  readonly #api: GcpApi;
  readonly #network: string;
  #path: string | undefined;

  /** `network` and `configured` are `projects/...` paths, as resolveOptions gives them. */
  constructor(api: GcpApi, network: string, configured: string | undefined) {
    this.#api = api;
    this.#network = network;
    this.#path = configured;
  }

  async resolve(signal: AbortSignal): Promise<string> {
    if (this.#path !== undefined) return this.#path;
    const api = this.#api;
    const [items] = await api.call('subnetworks.list', signal, (o) => api.clients.subnetworks.list({ project: api.project, region: api.region }, o));
    const ordinary = (items ?? []).filter((s) => sameResource(s.network, this.#network) && (s.purpose ?? 'PRIVATE') === 'PRIVATE');
    if (ordinary.length !== 1) {
      const found = ordinary.length === 0 ? 'no subnetwork' : `${ordinary.length} subnetworks (${ordinary.map((s) => s.name).join(', ')})`;
      throw new TerminalError(
        `GCP provider option subnetwork is not set and network ${this.#network.split('/').at(-1)} has ${found} in region ${api.region}, so the NEGs cannot name the pods' subnetwork: pass --gcp-subnetwork or set GCP_SUBNETWORK.`,
        { field: '--gcp-subnetwork', reason: 'InvalidConfiguration' },
      );
    }
    this.#path = `projects/${api.project}/regions/${api.region}/subnetworks/${ordinary[0]?.name}`;
    return this.#path;
  }
}
