/**
 * Runs a process from an unpacked image's root filesystem the way a container runtime runs
 * the Deployment's pod, with no runtime installed: a private mount namespace (`unshare`) in
 * which the root filesystem is bind-mounted read-only (readOnlyRootFilesystem), /tmp is a
 * fresh tmpfs (the Deployment's emptyDir), /proc and a minimal /dev are mounted, and
 * optionally the ServiceAccount's token, CA and namespace appear at
 * /var/run/secrets/kubernetes.io/serviceaccount on a tmpfs (what the kubelet projects); then
 * `chroot --userspec` as the image's user with no new privileges (allowPrivilegeEscalation:
 * false; a non-root uid keeps no capability). The environment is exactly the given one (the
 * image's and the pod's), nothing of the test's. The network is the host's: the API server
 * and the pod network stay reachable, which a pod has through its own network.
 * The mounts live and die with the process (its mount namespace); this needs root.
 */
import { type ChildProcess, spawn } from 'node:child_process';

/** The pod side of the run: what the kubelet would mount and set. */
export interface RootfsRunOptions {
  readonly rootfs: string;
  /** The program and its arguments (the image's entrypoint plus the container args). */
  readonly argv: readonly string[];
  readonly uid: number;
  readonly gid: number;
  /** `NAME=value` entries, the whole environment. */
  readonly env: readonly string[];
  /** A host directory whose files (token, ca.crt, namespace) are the ServiceAccount mount. */
  readonly serviceAccountDir?: string;
}

/**
 * The mount steps, in order; the arguments are: rootfs, ServiceAccount dir ('' for none),
 * uid, gid, the number of environment entries, those entries, then argv.
 */
const SCRIPT = `
set -eu
r=$1 sa=$2 uid=$3 gid=$4 n=$5
shift 5
envs=("\${@:1:$n}")
shift "$n"
mount --bind "$r" "$r"
mount -o remount,bind,ro "$r"
mount -t proc proc "$r/proc"
mount -t tmpfs -o mode=1777,size=16m tmpfs "$r/tmp"
mount -t tmpfs -o mode=755,size=64k tmpfs "$r/dev"
for d in null zero full random urandom; do : > "$r/dev/$d"; mount --bind "/dev/$d" "$r/dev/$d"; done
ln -s /proc/self/fd "$r/dev/fd"
if [ -n "$sa" ]; then
  mount -t tmpfs -o mode=755,size=1m tmpfs "$r/var/run"
  mkdir -p "$r/var/run/secrets/kubernetes.io/serviceaccount"
  cp "$sa"/* "$r/var/run/secrets/kubernetes.io/serviceaccount/"
  chmod 644 "$r"/var/run/secrets/kubernetes.io/serviceaccount/*
fi
setpriv=$(command -v setpriv) chroot=$(command -v chroot) env=$(command -v env)
exec "$env" -i "\${envs[@]}" "$setpriv" --no-new-privs -- "$chroot" --userspec="$uid:$gid" --groups="$gid" "$r" "$@"
`;

/** Spawns the process; its pid is the program's own (every step execs), so signals reach it. */
export function spawnInRootfs(o: RootfsRunOptions): ChildProcess {
  return spawn(
    'unshare',
    ['--mount', '--', 'bash', '-c', SCRIPT, 'rootfs-run', o.rootfs, o.serviceAccountDir ?? '', String(o.uid), String(o.gid), String(o.env.length), ...o.env, ...o.argv],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' } },
  );
}

/** Runs to completion; resolves with the exit code and output. */
export async function runInRootfs(o: RootfsRunOptions, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnInRootfs(o);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  clearTimeout(timer);
  return { code, stdout, stderr };
}
