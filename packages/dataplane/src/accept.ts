/**
 * Admission of one accepted client: the listener's source ranges, then the firewall
 * (client -> listener), then the listener's target group. A client refused here is reset
 * before any byte is read from it and before any target connection is opened; settings are
 * read at each accept, so a change applies to the next connection.
 */
import type { Socket } from 'node:net';
import type { Firewall } from './firewall.ts';
import type { Listener } from './listener.ts';
import { proxyConnection } from './proxy.ts';
import type { TargetGroup } from './target-group.ts';
import type { Logger, Timers } from './timers.ts';

export interface AcceptContext {
  readonly groups: ReadonlyMap<string, TargetGroup>;
  readonly firewall: Firewall;
  readonly timers: Timers;
  readonly scale: (ms: number) => number;
  readonly log: Logger;
}

export function acceptClient(listener: Listener, client: Socket, context: AcceptContext): void {
  const counters = listener.counters;
  counters.accepted++;
  client.on('error', () => {});
  const from = client.remoteAddress;
  if (!listener.admits(from)) {
    counters.refusedSourceRange++;
    context.log.debug('refused a client outside the source ranges', { listener: listener.spec.name, client: from ?? 'unknown' });
    client.resetAndDestroy();
    return;
  }
  const verdict = context.firewall.evaluate({
    direction: 'to-listener',
    source: { address: from },
    destination: { address: client.localAddress, port: listener.bound.port, tags: listener.spec.tags },
  });
  if (verdict.action === 'deny') {
    counters.refusedFirewall++;
    context.log.debug('the firewall refused a client', { listener: listener.spec.name, client: from ?? 'unknown', rule: verdict.rule ?? 'default' });
    client.resetAndDestroy();
    return;
  }
  const group = context.groups.get(listener.spec.targetGroup);
  if (group === undefined) {
    counters.refusedNoTarget++;
    client.resetAndDestroy();
    return;
  }
  proxyConnection(client, { ...context, listener, group });
}
