/**
 * How the local provider names what it programs into the data plane, and which of the
 * engine's objects belong to a Service (pure).
 *
 * Every name starts with `sluice/<namespace>/<name>/<uid>/`, so a re-created Service (new
 * UID) is a new load balancer, a restarted controller finds exactly the objects of each
 * Service in the engine's state, and two Services never touch each other's objects:
 *
 * - one target group per Service port: the prefix plus the port name;
 * - one listener per Service port: the prefix plus the port name and number it was opened
 *   for (`http@8080`). A listener keeps its name for its life, also when it is handed to a
 *   renamed port or a port that swapped numbers; which Service port it serves is the target
 *   group it forwards to, never its name.
 */

export interface ServiceIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export class EngineNames {
  readonly prefix: string;

  constructor(service: ServiceIdentity) {
    this.prefix = `sluice/${service.namespace}/${service.name}/${service.uid}/`;
  }

  /** The target group of a Service port. */
  targetGroup(portName: string): string {
    return `${this.prefix}${portName}`;
  }

  /** A listener name for a Service port, not in `taken` (a `~n` suffix in the rare case it is). */
  listener(portName: string, port: number, taken: ReadonlySet<string>): string {
    const base = `${this.prefix}${portName}@${port}`;
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}~${n}`;
    return candidate;
  }

  owns(name: string): boolean {
    return name.startsWith(this.prefix);
  }

  /** The Service port name a target group of this Service serves; undefined for another's group. */
  portNameOf(targetGroup: string): string | undefined {
    return this.owns(targetGroup) ? targetGroup.slice(this.prefix.length) : undefined;
  }
}
