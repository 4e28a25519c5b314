/**
 * What the engine schedules with and logs to, injected (STYLE habit 4) so tests can drive
 * health checks and drain timers by hand, and the defaults filled in one place.
 */

/** An opaque handle returned by {@link Timers.setTimeout}. */
export type TimerHandle = unknown;

/**
 * The timers every interval, timeout and delay of the engine runs on. The engine passes
 * durations already multiplied by the time scale.
 */
export interface Timers {
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Structurally the `Logger` of `@sluice/core`, so a controller's logger can be passed as is. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * The global timers, unref'd: a pending health check or drain timer never keeps a process
 * alive on its own (the listeners do, while they are open).
 */
export const unrefTimers: Timers = {
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, ms);
    handle.unref();
    return handle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
};

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
