/**
 * The controller processes of one test, one after another: a restart stops the running one
 * (SIGTERM, as a rollout of the controller would) and starts the next with the same flags.
 * Log lines are searched across all of them.
 */
import { type ControllerProcess, type LogLine, startControllerProcess } from './controller-process.ts';

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

  /** Starts a controller and waits until it reports running. */
  async start(): Promise<ControllerProcess> {
    const c = startControllerProcess({ kubeconfigPath: this.#kubeconfigPath, args: this.#args });
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

  async stop(): Promise<void> {
    for (const c of this.#all) await c.stop();
  }
}
