/** Result of one `process()` call of a sink or pollable source (Flume's Status). */
export type Status = 'READY' | 'BACKOFF';
export const READY: Status = 'READY';
export const BACKOFF: Status = 'BACKOFF';

export type LifecycleState = 'IDLE' | 'START' | 'STOP' | 'ERROR';

/** Injected clock so that time-based behaviour (rolling, windows, backoff) is testable. */
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener('abort', done);
      clearTimeout(t);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
