/**
 * Builders for provider tests: the Service view and backends a provider is called with, and a
 * logger that keeps every line. The defaults are what every provider's tests use, so a test
 * names only what it varies.
 */
import type { Backend, Logger, ServicePortView, ServiceSpecView } from '../provider.ts';

/** What a {@link serviceView} may vary: any field of the view; ports are filled from the default port. */
export interface ServiceViewFixture extends Partial<Omit<ServiceSpecView, 'ports'>> {
  /** Each port is `http`, 80/TCP, target port 8080, overridden by what it sets. @default one default port */
  readonly ports?: readonly Partial<ServicePortView>[];
}

/** The default Service port: `http`, 80/TCP to target port 8080. */
export const DEFAULT_SERVICE_PORT: ServicePortView = { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 };

/**
 * A Service as providers see it: `shop/web` (uid `uid-1`, no annotations) with one port `http`
 * 80 -> 8080, and whatever `f` sets.
 */
export function serviceView(f: ServiceViewFixture = {}): ServiceSpecView {
  const { ports, ...rest } = f;
  return {
    namespace: 'shop',
    name: 'web',
    uid: 'uid-1',
    ...rest,
    annotations: { ...f.annotations },
    ports: (ports ?? [{}]).map((p) => ({ ...DEFAULT_SERVICE_PORT, ...p })),
  };
}

/** A backend at `ip`: Service port `http`, target port 8080, weight 1, pod `pod-<ip>` (uid `uid-<ip>`). */
export function backendAt(ip: string, overrides: Partial<Backend> = {}): Backend {
  return { servicePort: 'http', ip, port: 8080, podUid: `uid-${ip}`, podName: `pod-${ip}`, weight: 1, ...overrides };
}

/** One line a {@link recordingLogger} kept. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  /** The fields logged with it (`{}` when none). */
  readonly fields: Record<string, unknown>;
}

/** A logger that keeps every line in `lines` (a given array, or a new one). */
export function recordingLogger(lines: LogLine[] = []): Logger & { readonly lines: LogLine[] } {
  const at =
    (level: LogLine['level']) =>
    (message: string, fields: Record<string, unknown> = {}): void => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * The value of field `field` of every line logged as `message` since the last call: the calls a
 * provider made, when it logs each as e.g. `aws call` with its `operation`.
 */
export function fieldTaker(lines: readonly LogLine[], message: string, field: string): () => string[] {
  let seen = 0;
  return () => {
    const matching = lines.filter((l) => l.message === message);
    const out = matching.slice(seen).map((l) => String(l.fields[field]));
    seen = matching.length;
    return out;
  };
}
