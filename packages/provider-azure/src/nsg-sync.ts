/**
 * Keeps a Service's rules in the operator's network security group (nsg-spec.ts): only the
 * rules that differ are written, each on its own (`securityRules` PUT / DELETE), so another
 * writer's rules are never rewritten. The group's rules are remembered from the last read or
 * write: the hot path (a pod address joining or leaving a rule) reads nothing, an ensure
 * reads the group afresh (drift made by hand is corrected there).
 *
 * Priorities are unique per direction in a group, so two Services choosing a free one at once
 * would collide: the writer runs one Service at a time (a queue in this process; only the
 * leader writes). A collision with a writer outside Sluice (Azure's SecurityRuleConflict) is
 * planned again once from a fresh read, then left to the work queue's retry.
 */
import type { NetworkSecurityGroup, SecurityRule } from '@azure/arm-network';
import { type Backend, RetryableError, type ServiceSpecView, TerminalError } from '@sluice/core';
import type { AzureApi } from './azure-api.ts';
import { azureErrorCode, isNotFound } from './errors.ts';
import { desiredRules, type PriorityRange, planRules, type RulePort, rulePrefix } from './nsg-spec.ts';

export interface NsgTarget {
  readonly resourceGroup: string;
  readonly name: string;
  readonly priorities: PriorityRange;
}

/** Each Service port with the backend port its load-balancing rule has (the Service port when the rule is not known). */
export function rulePortsOf(service: ServiceSpecView, backendPorts: ReadonlyMap<string, number> | undefined, backends: readonly Backend[]): RulePort[] {
  return service.ports.map((p) => ({
    name: p.name,
    protocol: p.protocol === 'UDP' ? 'Udp' : 'Tcp',
    backendPort: backendPorts?.get(p.name) ?? p.port,
    destination: backends.filter((b) => b.servicePort === p.name).map((b) => b.ip),
  }));
}


export class NsgWriter {
  readonly #api: AzureApi;
  readonly #target: NsgTarget;
  /** The group's rules as last read or written; undefined until read, or after a conflict. */
  #rules: SecurityRule[] | undefined;
  /** The tail of the queue of ensures and removals. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(api: AzureApi, target: NsgTarget) {
    this.#api = api;
    this.#target = target;
  }

  get target(): NsgTarget {
    return this.#target;
  }

  /** The group as Azure has it now; a TerminalError naming it when it does not exist. */
  async read(signal: AbortSignal): Promise<NetworkSecurityGroup> {
    const { resourceGroup, name } = this.#target;
    try {
      return await this.#api.call('networkSecurityGroups.get', name, signal, (o) => this.#api.client.networkSecurityGroups.get(resourceGroup, name, o));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      throw new TerminalError(`Network security group ${name} in resource group ${resourceGroup} does not exist: create it (AKS: the node resource group's NSG) or point --azure-nsg at the one the pods' subnet uses.`, {
        field: '--azure-nsg',
        cause: error,
      });
    }
  }

  /** Makes the group hold exactly the Service's rules for `ports`. */
  ensure(clusterName: string, service: ServiceSpecView, ports: readonly RulePort[], signal: AbortSignal, fresh = true): Promise<void> {
    return this.#serial(async () => {
      try {
        await this.#ensure(clusterName, service, ports, signal, fresh);
      } catch (error) {
        if ((error as { reason?: string })?.reason !== 'NsgPriorityRace') throw error;
        await this.#ensure(clusterName, service, ports, signal, true);
      }
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #ensure(clusterName: string, service: ServiceSpecView, ports: readonly RulePort[], signal: AbortSignal, fresh: boolean): Promise<void> {
    if (fresh || this.#rules === undefined) this.#rules = [...((await this.read(signal)).securityRules ?? [])];
    const desired = desiredRules({ clusterName, service, ports });
    const plan = planRules(this.#rules, desired, rulePrefix(clusterName, service), this.#target.priorities);
    if (!plan) {
      const { min, max } = this.#target.priorities;
      throw new TerminalError(
        `Network security group ${this.#target.name} has no free inbound priority in ${min}-${max} for Service ${service.namespace}/${service.name}: widen --azure-nsg-priorities.`,
        { field: '--azure-nsg-priorities', reason: 'NsgPrioritiesExhausted' },
      );
    }
    for (const rule of plan.put) await this.#put(rule, signal);
    for (const name of plan.remove) await this.#delete(name, signal);
  }

  /** Deletes every rule the Service owns in the group (an absent group or rule is success). */
  remove(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
    return this.#serial(() => this.#remove(clusterName, service, signal));
  }

  async #remove(clusterName: string, service: ServiceSpecView, signal: AbortSignal): Promise<void> {
    let nsg: NetworkSecurityGroup;
    try {
      nsg = await this.read(signal);
    } catch (error) {
      if (error instanceof TerminalError) return;
      throw error;
    }
    const prefix = rulePrefix(clusterName, service);
    for (const r of nsg.securityRules ?? []) if (r.name?.startsWith(prefix)) await this.#delete(r.name, signal);
  }

  #remember(name: string, rule: SecurityRule | undefined): void {
    if (this.#rules === undefined) return;
    this.#rules = this.#rules.filter((r) => r.name !== name);
    if (rule) this.#rules.push(rule);
  }

  async #put(rule: SecurityRule, signal: AbortSignal): Promise<void> {
    const { resourceGroup, name } = this.#target;
    const { name: ruleName, ...body } = rule;
    try {
      // Nothing of Azure's answer is kept (the rule is remembered as planned): no final GET.
      await this.#api.settle('securityRules.createOrUpdate', `${name}/${ruleName}`, signal, (o) =>
        this.#api.client.securityRules.createOrUpdate(resourceGroup, name, ruleName!, body, o),
      );
      this.#remember(ruleName!, rule);
    } catch (error) {
      // Whatever happened, the group is read again before the next plan.
      this.#rules = undefined;
      const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
      if (azureErrorCode(cause) === 'SecurityRuleConflict' || azureErrorCode(error) === 'SecurityRuleConflict') {
        throw new RetryableError(`Security rule ${ruleName} took priority ${rule.priority} at the same time as another rule of ${name}; choosing again.`, { cause: error, reason: 'NsgPriorityRace' });
      }
      throw error;
    }
  }

  async #delete(ruleName: string, signal: AbortSignal): Promise<void> {
    const { resourceGroup, name } = this.#target;
    try {
      await this.#api.lro('securityRules.delete', `${name}/${ruleName}`, signal, (o) => this.#api.client.securityRules.delete(resourceGroup, name, ruleName, o));
    } catch (error) {
      if (!isNotFound(error)) {
        this.#rules = undefined;
        throw error;
      }
    }
    this.#remember(ruleName, undefined);
  }
}
