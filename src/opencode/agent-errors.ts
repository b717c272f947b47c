// How an agent's attempt on OpenCode fails: AgentFailedError says whether a retry may help (`transient`) and whether
// the server itself could not be reached (`unreachable`: the pool may move the agent to another server).
export class AgentFailedError extends Error {
  constructor(
    message: string,
    readonly transient = false,
    readonly unreachable = false,
  ) {
    super(message)
  }
}

/** HTTP statuses worth a retry: rate limits and server errors. */
export function isTransientStatus(status: number | undefined): boolean {
  return status === 429 || (status !== undefined && status >= 500)
}

/** One line for an SDK error (its message, else its name), with the HTTP status when there was one. */
export function describeSdkError(error: unknown, status?: number): string {
  const e = error as { data?: { message?: string }; message?: string; name?: string } | undefined
  const msg = e?.data?.message ?? e?.message ?? e?.name ?? (typeof error === 'string' ? error : JSON.stringify(error))
  return status ? `HTTP ${status}: ${msg}` : String(msg)
}

export function truncate(text: string, max = 400): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text
}
