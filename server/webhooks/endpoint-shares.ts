// How many deliveries to one endpoint this process sends at once. An endpoint starts at its share (PER_ENDPOINT)
// and earns one more slot with each attempt it answers with success, up to every slot but one share, which stays
// for the other endpoints; any failure (an error status, a refused connection, a timeout) takes it back to its
// share. So when one endpoint has all the work it gets the slots that would sit idle (the cap is work-conserving),
// an endpoint that never answers holds only its share, and one that stops answering holds what it had earned
// until those attempts time out, never the others' share. Kept in memory: a restart starts every endpoint at its
// share again.
export interface EndpointShares {
  /** The most deliveries to `endpointId` in flight here now. */
  cap(endpointId: string): number;
  /** Records an attempt's outcome. */
  record(endpointId: string, ok: boolean): void;
}

/** `share`: every endpoint's own; `slots`: the dispatcher's concurrency. */
export function createEndpointShares(share: number, slots: number): EndpointShares {
  const most = Math.max(share, slots - share);
  const earned = new Map<string, number>();
  const cap = (endpointId: string) => earned.get(endpointId) ?? share;
  return {
    cap,
    record(endpointId, ok) {
      if (ok) earned.set(endpointId, Math.min(most, cap(endpointId) + 1));
      else earned.delete(endpointId);
    },
  };
}
