/**
 * The controller processes of one test, one after another: a restart stops the running one
 * (SIGTERM, as a rollout of the controller would) and starts the next with the same flags,
 * against the same data plane (with the local provider, the engine the first one started
 * keeps serving and the next one adopts it). Log lines are searched across all of them.
 */
import { type ControllerDataPlane, type ControllerProcess, type LogLine, startControllerProcess } from './controller-process.ts';

export class ControllerSeries {
  readonly #kubeconfigPath: string;
  readonly #args: readonly string[];
  readonly #all: ControllerProcess[] = [];

  constructor(kubeconfigPath: string, args: readonly string[]) {
    this.#kubeconfigPath = kubeconfigPath;
    this.#args = args;
  }

  /** The running (last started) controller. */
  get current(): ControllerProcess {
    const c = this.#all.at(-1);
    if (!c) throw new Error('no controller started yet');
    return c;
  }

  /** The data plane every controller of the series programs (the first one's, with the local provider). */
  get dataplane(): ControllerDataPlane | undefined {
    return this.#all[0]?.dataplane;
  }

  /** Starts a controller and waits until it reports running. */
  async start(): Promise<ControllerProcess> {
    const engine = this.#all[0]?.dataplane;
    const shared = engine ? ['--local-dataplane-socket', engine.socketPath] : [];
    const c = startControllerProcess({ kubeconfigPath: this.#kubeconfigPath, args: [...this.#args, ...shared] });
    this.#all.push(c);
    await c.ready();
    return c;
  }

  /** Stops the running controller, then starts a new one; resolves once the new one runs. */
  async restart(): Promise<ControllerProcess> {
    await this.current.stop();
    return this.start();
  }

  /** Every log line with this `msg` (and, if given, this `podUid`), from every controller in order. */
  lines(msg: string, podUid?: string): LogLine[] {
    return this.#all.flatMap((c) => c.lines.filter((l) => l.msg === msg && (podUid === undefined || l['podUid'] === podUid)));
  }

  /** Stops every controller, then their data plane. */
  async stop(): Promise<void> {
    for (const c of this.#all) await c.stop();
    await this.#all[0]?.dataplane?.stop();
  }
}
