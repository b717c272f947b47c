// Telling the infrastructure's failures from an agent's own (issue 13.6). An agent whose model answered badly (no
// schema match, a refusal, a provider 5xx for this prompt) failed: its agent() resolves null, as the script language
// says. But when OpenCode cannot be reached, refuses ocdw's credentials, or the model provider is unreachable or out of
// quota even after retries, no agent can succeed: the run must stop taking agents and end `interrupted` (resumable),
// not read as a result. The executor marks its errors with a cause here; runAttempts turns a marked error that
// survived the retries into an InfrastructureError, which the agent actor reports and the workflow acts on.

/** Why no agent can run now: a sentence fragment ("OpenCode at … cannot be reached (ECONNREFUSED)"). */
export type InfraCause = string

const CAUSE = Symbol('ocdw.infraCause')

export class InfrastructureError extends Error {
  readonly infrastructure = true
  constructor(readonly infraCause: InfraCause) {
    super(infraCause)
    this.name = 'InfrastructureError'
  }
}

export function isInfrastructureError(err: unknown): err is InfrastructureError {
  return (err as { infrastructure?: unknown } | null)?.infrastructure === true
}

/** Marks `err` as caused by the infrastructure (when `cause` is set) and returns it. */
export function markInfra<E extends Error>(err: E, cause: InfraCause | undefined): E {
  if (cause) (err as unknown as Record<symbol, string>)[CAUSE] = cause
  return err
}

/** After the last attempt: an infrastructure cause becomes an InfrastructureError; anything else stays the agent's. */
export function finalFailure(err: unknown, attempts: number): unknown {
  const cause = (err as Record<symbol, string> | null)?.[CAUSE]
  if (!cause) return err
  return new InfrastructureError(attempts > 1 ? `${cause}, still after ${attempts} attempts` : cause)
}

/** An HTTP answer (or none) from OpenCode itself. */
export function opencodeCause(status: number | undefined, detail: string): InfraCause | undefined {
  if (status === undefined) return `OpenCode could not be reached (${detail})`
  if (status === 401 || status === 403) return `OpenCode refused ocdw's credentials (HTTP ${status}); check OPENCODE_SERVER_PASSWORD / OPENCODE_SERVER_USERNAME`
  return undefined
}

/** The model provider's error on an assistant message (OpenCode's `info.error`). */
export function modelCause(error: { name?: string; data?: { statusCode?: number; isRetryable?: boolean; message?: string } } | undefined): InfraCause | undefined {
  if (!error) return undefined
  const msg = error.data?.message ?? error.name ?? 'unknown error'
  if (error.name === 'ProviderAuthError') return `the model provider refused its credentials (${msg}); fix the provider's API key in your OpenCode config`
  if (error.name !== 'APIError') return undefined
  const status = error.data?.statusCode
  if (status === 401 || status === 403) return `the model provider refused its credentials (HTTP ${status}: ${msg}); fix the provider's API key in your OpenCode config`
  if (status === 429) return `the model provider's rate or usage limit was reached (${msg})`
  if (status === undefined && error.data?.isRetryable) return `the model provider could not be reached (${msg})`
  return undefined
}
