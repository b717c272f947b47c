// When an agent's failed attempt is tried again, declared as data (as Temporal declares retry policies) so the
// executor's loop only follows it. Transient failures (HTTP 5xx/429, a connection reset, a retryable provider error)
// get a fresh session after an exponential backoff; an unreachable server in a pool moves the agent to another server
// at once (server-pool.ts), which does not use up a retry.
export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number
  /** The first backoff; each later one is `factor` times the one before. */
  backoffMs: number
  factor: number
  /** Spread of the backoff (0.5: between 0.75x and 1.25x), so agents that failed together do not retry together. */
  jitter: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({ retries: 3, backoffMs: 500, factor: 2, jitter: 0.5 })

/** The wait before retry number n + 1 (n = 0 for the first retry); deterministic, so tests and replays agree. */
export function backoffDelay(policy: RetryPolicy, n: number): number {
  const spread = 1 - policy.jitter / 2 + (((n * 7919) % 50) / 50) * policy.jitter
  return policy.backoffMs * policy.factor ** n * spread
}
