/**
 * One listener per Service port: protocol TCP, UDP or TLS, the Service port number, and a
 * single forward to the port's target group. Pure comparison of what AWS has with that.
 */
import type { Action, Listener } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { PortSpec } from './target-group-spec.ts';

export interface ListenerFields {
  readonly Protocol: 'TCP' | 'UDP' | 'TLS';
  readonly Port: number;
  readonly DefaultActions: Action[];
  readonly Certificates?: { CertificateArn: string }[];
}

/** The CreateListener / ModifyListener fields for a spec whose group has `targetGroupArn`. */
export function listenerFields(spec: PortSpec, targetGroupArn: string): ListenerFields {
  return {
    Protocol: spec.listenerProtocol,
    Port: spec.servicePort.port,
    DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }],
    ...(spec.certificateArn !== undefined ? { Certificates: [{ CertificateArn: spec.certificateArn }] } : {}),
  };
}

/** The one target group a listener forwards to, when it does exactly that. */
export function forwardTarget(listener: Listener): string | undefined {
  const actions = listener.DefaultActions ?? [];
  if (actions.length !== 1 || actions[0]?.Type !== 'forward') return undefined;
  const action = actions[0];
  if (action.TargetGroupArn) return action.TargetGroupArn;
  const groups = action.ForwardConfig?.TargetGroups ?? [];
  return groups.length === 1 ? groups[0]?.TargetGroupArn : undefined;
}

/** True when the listener already is what the spec asks for. */
export function listenerMatches(spec: PortSpec, targetGroupArn: string, listener: Listener): boolean {
  if (listener.Protocol !== spec.listenerProtocol || listener.Port !== spec.servicePort.port) return false;
  if (forwardTarget(listener) !== targetGroupArn) return false;
  if (spec.listenerProtocol === 'TLS') {
    const certs = listener.Certificates ?? [];
    // DescribeListeners lists only the default certificate.
    return certs.length === 1 && certs[0]?.CertificateArn === spec.certificateArn;
  }
  return true;
}
