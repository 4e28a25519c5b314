/**
 * Test helpers: Service and backend values, manual timers and a recording logger.
 * Test-only; excluded from the build.
 */
import type { Backend, Logger, ServicePortView, ServiceSpecView } from '@sluice/core';

export const cluster = 'test';

/** A Service whose port 0 makes the listener take an ephemeral port, so tests never collide. */
export function service(overrides: Partial<ServiceSpecView> & { ports?: readonly ServicePortView[] } = {}): ServiceSpecView {
  return {
    namespace: 'default',
    name: 'web',
    uid: 'uid-web',
    ports: [{ name: 'http', port: 0, protocol: 'TCP', targetPort: 8080 }],
    annotations: {},
    ...overrides,
  };
}

export function backend(port: number, podUid: string, weight = 1, servicePort = 'http'): Backend {
  return { servicePort, ip: '127.0.0.1', port, podUid, podName: `pod-${podUid}`, weight };
}

export const signal: AbortSignal = new AbortController().signal;

export interface LogEntry {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: Record<string, unknown> | undefined;
}

export function recordingLogger(): Logger & { readonly entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (message: string, fields?: Record<string, unknown>): void => {
      entries.push({ level, message, fields });
    };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
