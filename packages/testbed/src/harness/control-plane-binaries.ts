import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
 * empty, which takes minutes). The build's progress lines (what it builds, how long it has
 * run, at least every 15 s; nothing when the cache is warm) go to `progress` as they come, by
 * default to this process's stderr, so `npm run demo` on a fresh machine is never silent.
 */
export async function resolveControlPlaneBinaries(
  env: NodeJS.ProcessEnv = process.env,
  progress: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  script: string = buildScript,
): Promise<ControlPlaneBinaries> {
  let dir = env['KUBEBUILDER_ASSETS'];
  if (!dir) dir = await build(script, env, progress);
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

/** Runs build.sh, passing its stderr on line by line; resolves to the directory it prints last. */
function build(script: string, env: NodeJS.ProcessEnv, progress: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let partial = '';
    const tail: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        progress(line);
        tail.push(line);
        if (tail.length > 15) tail.shift();
      }
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (partial) {
        progress(partial);
        tail.push(partial);
      }
      if (code === 0) resolve(stdout.trim().split('\n').pop() ?? '');
      else reject(new Error(`building the control plane with ${script} failed (exit ${code}): ${tail.join('\n')}`));
    });
  });
}
