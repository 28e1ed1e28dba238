// A small in-process cache: entries expire after `ttlMs`, and the oldest go first once `maxWeight` is exceeded.
export interface TtlCache<V> {
  get(key: string, now?: number): V | undefined;
  set(key: string, value: V, weight?: number, now?: number): void;
  clear(): void;
}

export function createTtlCache<V>(ttlMs: number, maxWeight: number): TtlCache<V> {
  const entries = new Map<string, { value: V; weight: number; expires: number }>();
  let total = 0;
  const drop = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return;
    total -= entry.weight;
    entries.delete(key);
  };
  return {
    get(key, now = Date.now()) {
      const entry = entries.get(key);
      if (!entry) return undefined;
      if (entry.expires > now) return entry.value;
      drop(key);
      return undefined;
    },
    set(key, value, weight = 1, now = Date.now()) {
      if (weight > maxWeight) return;
      drop(key);
      entries.set(key, { value, weight, expires: now + ttlMs });
      total += weight;
      // Maps iterate in insertion order, so the first keys are the oldest.
      for (const oldest of entries.keys()) {
        if (total <= maxWeight) break;
        drop(oldest);
      }
    },
    clear() {
      entries.clear();
      total = 0;
    },
  };
}
