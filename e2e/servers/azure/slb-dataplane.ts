/**
 * The Standard load balancer twin's data plane: a `sluice-dataplane` process this server
 * starts and programs from its control-plane state (slb-model.ts), so clients reach a load
 * balancer at its frontend address and the health the ARM API reports is the health the
 * data plane's probes found.
 *
 * Programming is by level and lags ARM as Azure's does: after every ARM write and on a short
 * timer the whole model is compared with what was last programmed and only what changed is
 * sent. One rule the engine refuses (a port in use) is logged and retried at the next sync;
 * it never stops the others.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectDataPlane, type DataPlaneClient, type DataPlaneProcess, startDataPlaneProcess, type TargetHealth } from '@sluice/dataplane';
import type { ArmStore } from './arm-store.ts';
import type { HealthResult } from './backend-health.ts';
import { nsgFirewall } from './nsg-firewall.ts';
import { idKey } from './resource-ids.ts';
import { type SlbRuleModel, type SlbSkipped, slbModel } from './slb-model.ts';

export interface SlbDataPlaneOptions {
  /** Multiplies every probe interval and timeout (1 = Azure's real timing). */
  readonly timeScale: number;
  /** A file the data plane's log lines go to. @default inherited stderr */
  readonly logFile?: string;
  /** How often the model is compared with the data plane besides after each write, ms. @default 200 */
  readonly syncIntervalMs?: number;
}

interface Applied {
  listener: string;
  group: string;
  healthCheck: string;
  targets: string;
}

/** Health of one address as the rule-health API reports it ("LoadBalancerHealthPerRule": Up/Down with a reason). */
export function healthOfTarget(t: TargetHealth): HealthResult {
  if (t.state === 'healthy') return { state: 'Up', reason: t.reason === 'AdminStateUp' ? 'Up_Admin' : 'Up_Probe_Success' };
  if (t.reason === 'AdminStateDown') return { state: 'Down', reason: 'Down_Admin' };
  return { state: 'Down', reason: 'Down_Probe_Failure' };
}

export class SlbDataPlane {
  readonly #store: ArmStore;
  readonly #settle: () => void;
  readonly #process: DataPlaneProcess;
  readonly #client: DataPlaneClient;
  readonly #dir: string;
  readonly #applied = new Map<string, Applied>();
  /** Firewall rules programmed, by name: their JSON. */
  readonly #firewall = new Map<string, string>();
  readonly #timer: NodeJS.Timeout;
  #running: Promise<void> | undefined;
  #again = false;
  #skipped: readonly SlbSkipped[] = [];
  #errors = new Map<string, string>();

  private constructor(store: ArmStore, settle: () => void, process: DataPlaneProcess, client: DataPlaneClient, dir: string, intervalMs: number) {
    this.#store = store;
    this.#settle = settle;
    this.#process = process;
    this.#client = client;
    this.#dir = dir;
    this.#timer = setInterval(() => void this.sync().catch(() => {}), intervalMs);
    this.#timer.unref();
  }

  /**
   * Starts the data plane process. Traffic the firewall does not allow is dropped: a Standard
   * load balancer is "secure by default", closed to inbound flows unless a network security
   * group allows them ("Azure Load Balancer SKUs" / "What is Azure Load Balancer?: Secure by default"):
   * the subnets' network security groups become firewall rules (nsg-firewall.ts); clients
   * reaching a listener are not filtered (the frontend is the public side), flows to pods are.
   */
  static async start(store: ArmStore, settle: () => void, options: SlbDataPlaneOptions): Promise<SlbDataPlane> {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-slb-'));
    const socketPath = join(dir, 'control.sock');
    let process: DataPlaneProcess | undefined;
    try {
      process = await startDataPlaneProcess({ socketPath, timeScale: options.timeScale, firewallDefault: 'allow', ...(options.logFile ? { logFile: options.logFile } : {}) });
      const client = await connectDataPlane(socketPath);
      return new SlbDataPlane(store, settle, process, client, dir, options.syncIntervalMs ?? 200);
    } catch (e) {
      await process?.stop();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  get client(): DataPlaneClient {
    return this.#client;
  }

  /** Rules the twin does not carry, and why; rules the engine refused at the last sync. */
  problems(): { skipped: readonly SlbSkipped[]; errors: ReadonlyMap<string, string> } {
    return { skipped: this.#skipped, errors: this.#errors };
  }

  /** Programs the data plane from the store; concurrent calls share one run and ask for another after it. */
  sync(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#syncOnce();
        } while (this.#again);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** Per address of the rule, its health from the data plane (after a sync); undefined when the twin does not carry the rule. */
  async ruleHealth(loadBalancerId: string, ruleName: string): Promise<Map<string, HealthResult> | undefined> {
    await this.sync();
    const key = idKey(`${loadBalancerId}/loadBalancingRules/${ruleName}`);
    if (!this.#applied.has(key)) return undefined;
    const targets = await this.#client.targetHealth(key);
    return new Map(targets.map((t) => [t.ip, healthOfTarget(t)]));
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running?.catch(() => {});
    await this.#process.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }

  async #syncOnce(): Promise<void> {
    this.#settle();
    const model = slbModel(this.#store);
    this.#skipped = model.skipped;
    await this.#syncFirewall();
    const wanted = new Set(model.rules.map((r) => r.key));
    for (const [key] of this.#applied) {
      if (wanted.has(key)) continue;
      try {
        await this.#client.deleteListener(key);
        await this.#client.deleteTargetGroup(key);
        this.#applied.delete(key);
        this.#errors.delete(key);
      } catch (e) {
        this.#errors.set(key, e instanceof Error ? e.message : String(e));
      }
    }
    for (const rule of model.rules) {
      try {
        await this.#apply(rule);
        this.#errors.delete(rule.key);
      } catch (e) {
        this.#errors.set(rule.key, e instanceof Error ? e.message : String(e));
      }
    }
  }

  /** Puts the rules that changed first, then deletes the ones gone, so no flow sees a gap in a group being rewritten. */
  async #syncFirewall(): Promise<void> {
    const wanted = new Map(nsgFirewall(this.#store).map((r) => [r.name, r]));
    for (const [name, rule] of wanted) {
      const json = JSON.stringify(rule);
      if (this.#firewall.get(name) === json) continue;
      try {
        await this.#client.putFirewallRule(rule);
        this.#firewall.set(name, json);
        this.#errors.delete(name);
      } catch (e) {
        this.#errors.set(name, e instanceof Error ? e.message : String(e));
      }
    }
    for (const name of [...this.#firewall.keys()]) {
      if (wanted.has(name)) continue;
      await this.#client.deleteFirewallRule(name);
      this.#firewall.delete(name);
    }
  }

  async #apply(rule: SlbRuleModel): Promise<void> {
    const was = this.#applied.get(rule.key) ?? { listener: '', group: '', healthCheck: '', targets: '' };
    const now: Applied = {
      listener: JSON.stringify(rule.listener),
      group: JSON.stringify(rule.group),
      healthCheck: JSON.stringify(rule.healthCheck ?? null),
      targets: JSON.stringify(rule.targets),
    };
    if (now.group !== was.group) await this.#client.putTargetGroup(rule.group);
    this.#applied.set(rule.key, { ...was, group: now.group });
    if (now.healthCheck !== was.healthCheck) {
      if (rule.healthCheck) await this.#client.putHealthCheck(rule.key, rule.healthCheck);
      else if (was.healthCheck !== '') await this.#client.deleteHealthCheck(rule.key);
    }
    if (now.targets !== was.targets) await this.#client.setTargets(rule.key, rule.targets);
    this.#applied.set(rule.key, { ...now, listener: was.listener });
    if (now.listener !== was.listener) await this.#client.putListener(rule.listener);
    this.#applied.set(rule.key, now);
  }
}
