import { writeFile } from 'node:fs/promises';

/** What a token-authenticated kubeconfig needs. */
export interface KubeconfigParams {
  /** API server URL, e.g. `https://127.0.0.1:6443`. */
  server: string;
  /** Bearer token of the user. */
  token: string;
  /** PEM of the CA that signed the serving certificate. */
  caPem: string;
  /**
   * Name used for the cluster, user and context entries.
   * @default 'sluice-e2e'
   */
  name?: string;
}

/** A kubeconfig document (JSON is valid YAML, so every client reads it). */
export function kubeconfigDocument(params: KubeconfigParams): Record<string, unknown> {
  const name = params.name ?? 'sluice-e2e';
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server: params.server,
          'certificate-authority-data': Buffer.from(params.caPem).toString('base64'),
        },
      },
    ],
    users: [{ name, user: { token: params.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
  };
}

/** Writes a kubeconfig readable only by the owner (it holds an admin token). */
export async function writeKubeconfig(path: string, params: KubeconfigParams): Promise<void> {
  await writeFile(path, JSON.stringify(kubeconfigDocument(params), null, 2), { mode: 0o600 });
}
