import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** Paths of the three control-plane programs. */
export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
}

const buildScript = fileURLToPath(new URL('../../../../tools/control-plane/build.sh', import.meta.url));

/**
 * Finds the control-plane programs: in `KUBEBUILDER_ASSETS` when it is set, otherwise in the
 * cache directory `tools/control-plane/build.sh` prints (building them first if the cache is
 * empty, which takes a long while; the build's progress goes to stderr).
 */
export async function resolveControlPlaneBinaries(env: NodeJS.ProcessEnv = process.env): Promise<ControlPlaneBinaries> {
  let dir = env['KUBEBUILDER_ASSETS'];
  if (!dir) {
    const run = promisify(execFile);
    try {
      const { stdout } = await run('bash', [buildScript], { env, maxBuffer: 1 << 20 });
      dir = stdout.trim().split('\n').pop() ?? '';
    } catch (error) {
      const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
      throw new Error(`building the control plane with ${buildScript} failed: ${stderr.split('\n').slice(-15).join('\n')}`, {
        cause: error,
      });
    }
  }
  const binaries: ControlPlaneBinaries = {
    etcd: join(dir, 'etcd'),
    kubeApiserver: join(dir, 'kube-apiserver'),
    kubeControllerManager: join(dir, 'kube-controller-manager'),
  };
  for (const path of Object.values(binaries)) {
    try {
      await access(path, constants.X_OK);
    } catch {
      throw new Error(`control-plane program ${path} is missing or not executable (set KUBEBUILDER_ASSETS to a directory holding etcd, kube-apiserver and kube-controller-manager, or unset it to build them)`);
    }
  }
  return binaries;
}
