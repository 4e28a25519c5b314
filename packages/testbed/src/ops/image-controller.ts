/**
 * The controller run from the image's root filesystem (see rootfs-process.ts) as the
 * Deployment of deploy/ would run it: the image's entrypoint with the container's args, the
 * container's environment (downward-API values filled in), its user and its read-only root,
 * and the in-cluster ServiceAccount mount instead of a kubeconfig. Exposes the same
 * {@link ControllerProcess} interface as the source-tree controller of the other e2e jobs.
 */
import type { ChildProcess } from 'node:child_process';
import type * as k8s from '@kubernetes/client-node';
import type { ControllerProcess } from '../scenario/controller-process.ts';
import { superviseController } from '../scenario/controller-supervisor.ts';
import type { UnpackedImage } from './image.ts';
import { spawnInRootfs } from './rootfs-process.ts';

export interface ImageControllerOptions {
  readonly image: UnpackedImage;
  /** The Deployment's `sluice` container. */
  readonly container: k8s.V1Container;
  /** The pod's securityContext (runAsUser, runAsGroup). */
  readonly podSecurity: k8s.V1PodSecurityContext | undefined;
  /** What the downward API would give: metadata.namespace, metadata.name. */
  readonly pod: { readonly namespace: string; readonly name: string };
  /** ServiceAccount token, ca.crt and namespace, as files in this directory. */
  readonly serviceAccountDir: string;
  /** The API server, as the in-cluster Service env vars name it. */
  readonly apiServer: { readonly host: string; readonly port: number };
  /** Replaces container args by flag name (e.g. bind addresses free on this host). */
  readonly overrideArgs?: Readonly<Record<string, string>>;
  /** Extra args appended. */
  readonly extraArgs?: readonly string[];
  /** Echo log lines to stderr. @default SLUICE_E2E_DEBUG */
  readonly echo?: boolean;
}

/** The container's args with `--flag=value` replaced where `overrides` names the flag. */
export function containerArgs(args: readonly string[], overrides: Readonly<Record<string, string>> = {}): string[] {
  return args.map((a) => {
    const flag = a.split('=')[0]!;
    return flag in overrides ? `${flag}=${overrides[flag]}` : a;
  });
}

/** The container's environment as a runtime gives it: image env, then the container's. */
export function containerEnv(imageEnv: readonly string[], container: k8s.V1Container, pod: { namespace: string; name: string }): string[] {
  const env = new Map(imageEnv.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  for (const e of container.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath;
    const value = field === 'metadata.namespace' ? pod.namespace : field === 'metadata.name' ? pod.name : e.value;
    if (value === undefined) throw new Error(`env ${e.name}: only values and metadata.namespace/name field refs are supported here`);
    env.set(e.name, value);
  }
  return [...env].map(([k, v]) => `${k}=${v}`);
}

export function startImageController(o: ImageControllerOptions): ControllerProcess {
  const echo = o.echo ?? Boolean(process.env['SLUICE_E2E_DEBUG']);
  const uid = o.container.securityContext?.runAsUser ?? o.podSecurity?.runAsUser ?? o.image.process.user.uid;
  const gid = o.container.securityContext?.runAsGroup ?? o.podSecurity?.runAsGroup ?? o.image.process.user.gid;
  const env = [
    ...containerEnv(o.image.process.env, o.container, o.pod),
    `KUBERNETES_SERVICE_HOST=${o.apiServer.host}`,
    `KUBERNETES_SERVICE_PORT=${o.apiServer.port}`,
  ];
  const argv = [...(o.container.command ?? o.image.process.args), ...containerArgs(o.container.args ?? [], o.overrideArgs), ...(o.extraArgs ?? [])];
  const child: ChildProcess = spawnInRootfs({ rootfs: o.image.rootfs, argv, uid, gid, env, serviceAccountDir: o.serviceAccountDir });
  return superviseController(child, { label: 'sluice (image)', echo });
}
