// A Storage that times its calls and counts their failures (telemetry/metrics.ts), whichever driver is inside. A
// body refused for its length is the client's doing, not the storage failing, so it is timed but not counted.
import { ObjectLengthError, ObjectTooLargeError, type Storage } from './index.ts';

type Observe = (operation: string, seconds: number, failed: boolean) => void;

/** The calls that go to the storage (the others only build URLs or release connections). */
const CALLS = ['put', 'get', 'getBytes', 'exists', 'delete', 'deletePrefix', 'check', 'removeStaleTemp', 'head', 'presignPut', 'presignGet'] as const;

const clientFault = (error: unknown) => error instanceof ObjectTooLargeError || error instanceof ObjectLengthError;

export function instrumentStorage(storage: Storage, observe: Observe): Storage {
  const timed = Object.fromEntries(
    CALLS.map((operation) => {
      const call = storage[operation] as (...args: unknown[]) => Promise<unknown>;
      return [
        operation,
        async (...args: unknown[]) => {
          const started = performance.now();
          try {
            const result = await call.apply(storage, args);
            observe(operation, (performance.now() - started) / 1000, false);
            return result;
          } catch (error) {
            observe(operation, (performance.now() - started) / 1000, !clientFault(error));
            throw error;
          }
        },
      ];
    }),
  ) as Pick<Storage, (typeof CALLS)[number]>;
  return {
    ...timed,
    capabilities: storage.capabilities,
    publicUrl: (key) => storage.publicUrl(key),
    browserOrigins: () => storage.browserOrigins(),
    close: () => storage.close(),
  };
}
