/**
 * The whole AWS twin for a test: moto (the control plane), a sluice-dataplane process (the
 * NLBs' data plane, at the run's time scale), the NLB twin programming it from moto, and the
 * AWS front in front of all of it (throttling, faults, the twin's answers). Clients and the
 * controller talk to `endpoint`; NLB DNS names resolve to loopback addresses with `resolve`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDataPlane, type DataPlaneClient, type DataPlaneProcess, startDataPlaneProcess } from '@sluice/dataplane';
import { type HarnessLogger, silentLogger } from '@sluice/testbed/harness';
import { type AwsFront, type AwsFrontOptions, startAwsFront } from './front.ts';
import { type AwsTarget, startAwsTarget } from './moto.ts';
import { NlbTwin, type NlbTwinOptions } from './nlb-twin.ts';

export interface AwsTwinOptions {
  /** Multiplies every health-check, registration and drain duration in the data plane. @default 1 */
  readonly timeScale?: number;
  /** The front's throttling (see front.ts). @default true: ELBv2's documented buckets */
  readonly rateLimits?: AwsFrontOptions['rateLimits'];
  readonly registrationDelayMs?: NlbTwinOptions['registrationDelayMs'];
  readonly targetsPerTargetGroup?: NlbTwinOptions['targetsPerTargetGroup'];
  readonly podSecurityGroups?: NlbTwinOptions['podSecurityGroups'];
  readonly log?: HarnessLogger;
}

export interface AwsTwin {
  /** The front: what the SDK and the controller are pointed at. */
  readonly endpoint: string;
  readonly region: string;
  /** Environment for the controller (endpoint, region, test credentials). */
  readonly env: Readonly<Record<string, string>>;
  readonly moto: AwsTarget;
  readonly front: AwsFront;
  readonly twin: NlbTwin;
  /** The data plane, to read its state and counters. */
  readonly dataPlane: DataPlaneClient;
  /** The loopback address an NLB DNS name stands for here; undefined for a name the twin does not know. */
  resolve(dnsName: string): string | undefined;
  stop(): Promise<void>;
}

export async function startAwsTwin(options: AwsTwinOptions = {}): Promise<AwsTwin> {
  const log = options.log ?? silentLogger;
  const moto = await startAwsTarget(log);
  if (moto.endpoint === undefined) {
    await moto.stop();
    throw new Error('the AWS twin needs moto: SLUICE_E2E_REAL=1 points the job at a real account, which has its own NLBs');
  }
  const dir = mkdtempSync(join(tmpdir(), 'sluice-aws-twin-'));
  let dataProcess: DataPlaneProcess | undefined;
  let dataPlane: DataPlaneClient | undefined;
  let twin: NlbTwin | undefined;
  try {
    dataProcess = await startDataPlaneProcess({ socketPath: join(dir, 'dataplane.sock'), timeScale: options.timeScale ?? 1, logFile: join(dir, 'dataplane.log') });
    dataPlane = await connectDataPlane(dataProcess.socketPath);
    twin = new NlbTwin({
      moto: moto.endpoint,
      region: moto.region,
      dataPlane,
      ...(options.registrationDelayMs !== undefined ? { registrationDelayMs: options.registrationDelayMs } : {}),
      ...(options.targetsPerTargetGroup !== undefined ? { targetsPerTargetGroup: options.targetsPerTargetGroup } : {}),
      ...(options.podSecurityGroups !== undefined ? { podSecurityGroups: options.podSecurityGroups } : {}),
    });
    const front = await startAwsFront({ target: moto.endpoint, hook: twin, ...(options.rateLimits !== undefined ? { rateLimits: options.rateLimits } : {}) });
    log.info(`AWS twin: front ${front.endpoint} -> moto ${moto.endpoint}, data plane ${dataProcess.socketPath} (x${options.timeScale ?? 1})`);
    const nlb = twin;
    const dp = dataPlane;
    const proc = dataProcess;
    return {
      endpoint: front.endpoint,
      region: moto.region,
      env: { ...moto.env, AWS_ENDPOINT_URL: front.endpoint },
      moto,
      front,
      twin: nlb,
      dataPlane: dp,
      resolve: (dnsName) => nlb.addressOf(dnsName),
      async stop() {
        await front.close();
        nlb.close();
        dp.disconnect();
        await proc.stop();
        await moto.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    twin?.close();
    dataPlane?.disconnect();
    await dataProcess?.stop();
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
