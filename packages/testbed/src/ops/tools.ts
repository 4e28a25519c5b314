/**
 * helm and kustomize for the deploy e2e, built from the Go module proxy by the scripts in
 * tools/helm/ (cached under ~/.cache/sluice). A tool that cannot be built is an error that
 * says what is missing, never a silent skip.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const HELM_BUILD_SCRIPT = fileURLToPath(new URL('../../../../tools/helm/build.sh', import.meta.url));
export const KUSTOMIZE_BUILD_SCRIPT = fileURLToPath(new URL('../../../../tools/helm/build-kustomize.sh', import.meta.url));

/** Runs a build script (which builds on first use) and resolves with the binary path it prints. */
export async function resolveTool(script: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout } = await run('bash', [script], { env, maxBuffer: 1 << 20, timeout: 900_000 });
    const path = stdout.trim().split('\n').pop() ?? '';
    if (!path) throw new Error('it printed no path');
    return path;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    const tail = stderr.split('\n').slice(-15).join('\n') || (error as Error).message;
    throw new Error(`${script} could not provide its tool (it needs Go and the Go module proxy): ${tail}`, { cause: error });
  }
}

/** Runs a tool and resolves with its stdout; a non-zero exit rejects with its stderr. */
export async function runTool(binary: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(binary, [...args], { maxBuffer: 16 << 20, timeout: 120_000 });
    return stdout;
  } catch (error) {
    const stderr = String((error as { stderr?: string }).stderr ?? '').trim();
    throw new Error(`${binary} ${args.join(' ')} failed: ${stderr || (error as Error).message}`, { cause: error });
  }
}
