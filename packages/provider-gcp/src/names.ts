/**
 * Names of what Sluice creates in Compute Engine for a Service. Compute names are
 * lowercase RFC 1035 labels of at most 63 characters. Every name starts with
 * `sl-<10 hex>-`, the hex being SHA-256 of the cluster name and the Service UID, so two
 * clusters in one project never collide and a re-created Service never inherits old parts.
 * A name alone proves nothing: ownership also needs the description (ownership.ts).
 */
import { createHash } from 'node:crypto';
import type { ServiceSpecView } from '@sluice/core';

export const NAME_PREFIX = 'sl-';
export const MAX_NAME_LENGTH = 63;

/** 10 hex characters that identify the Service within the cluster. */
export function serviceHash(clusterName: string, service: Pick<ServiceSpecView, 'uid'>): string {
  return createHash('sha256').update(`${clusterName}\u0000${service.uid}`).digest('hex').slice(0, 10);
}

/** The names of one Service's resources. */
export class ResourceNames {
  /** `sl-<hash>-`: every resource of the Service starts with it. */
  readonly prefix: string;
  readonly region: string;

  constructor(clusterName: string, service: Pick<ServiceSpecView, 'uid'>, region: string) {
    this.prefix = `${NAME_PREFIX}${serviceHash(clusterName, service)}-`;
    this.region = region;
  }

  get healthCheck(): string {
    return `${this.prefix}hc`;
  }

  get backendService(): string {
    return `${this.prefix}bs`;
  }

  /** The zonal NEG: `sl-<hash>-<zone suffix>`, e.g. `sl-0123456789-b` for `<region>-b`. */
  neg(zone: string): string {
    return clip(`${this.prefix}${zoneSuffix(zone, this.region)}`);
  }

  /** The target TCP proxy of a Service port: `sl-<hash>-tp-<port>`. */
  proxy(port: number): string {
    return `${this.prefix}tp-${port}`;
  }

  /** The forwarding rule of a Service port: `sl-<hash>-fr-<port>`. */
  forwardingRule(port: number): string {
    return `${this.prefix}fr-${port}`;
  }

  /** The Compute list filter that matches every resource of the Service. */
  get filter(): string {
    return `name eq ${this.prefix}.*`;
  }
}

/** `europe-west1-b` in `europe-west1` → `b`; a zone of another region keeps its whole (sanitized) name. */
export function zoneSuffix(zone: string, region: string): string {
  const lower = zone.toLowerCase();
  const rest = lower.startsWith(`${region}-`) ? lower.slice(region.length + 1) : lower;
  const cleaned = rest.replace(/[^a-z0-9-]/g, '-').replace(/-+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned === '' ? 'z' : `${cleaned}`;
}

function clip(name: string): string {
  return name.length <= MAX_NAME_LENGTH ? name : name.slice(0, MAX_NAME_LENGTH).replace(/-+$/, '');
}

/** The last path segment of a Compute URL (`.../zones/europe-west1-b` → `europe-west1-b`). */
export function lastSegment(url: string | null | undefined): string {
  return (url ?? '').split('/').filter(Boolean).at(-1) ?? '';
}

/** A Compute URL reduced to `projects/...`, so self links compare whatever host they carry. */
export function resourcePath(url: string | null | undefined): string {
  const s = url ?? '';
  const i = s.indexOf('projects/');
  return i < 0 ? s : s.slice(i);
}

/** True when two Compute URLs or paths name the same resource. */
export function sameResource(a: string | null | undefined, b: string | null | undefined): boolean {
  return resourcePath(a) !== '' && resourcePath(a) === resourcePath(b);
}
