// Session hygiene for CLI runs: one parent OpenCode session per run ("ocdw: <name> <runId>"), the agents (and gates)
// as its children, so a run of 200 agents adds one entry to the user's session list instead of 200. After the run,
// `--sessions` decides what stays: keep (default), delete-on-success, delete (the parent and its children).
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import type { RunSummary } from '../machines/types.js'
import { UsageError } from './errors.js'

export type SessionsMode = 'keep' | 'delete-on-success' | 'delete'

export function parseSessionsMode(value: string | undefined): SessionsMode {
  if (value === undefined || value === 'keep' || value === 'delete-on-success' || value === 'delete') return value ?? 'keep'
  throw new UsageError(`--sessions ${value} is not a sessions mode; use keep, delete-on-success or delete.`)
}

export interface RunParentSession {
  /** For the executor: resolves to the parent session's id once the run is named (undefined when it cannot be made). */
  id(): Promise<string | undefined>
  /** Names the session after the run (called once startRun returned the run id). */
  name(name: string, runId: string): void
  /** Applies the sessions mode once the run ended. Returns a warning sentence when a deletion failed. */
  finish(summary: Pick<RunSummary, 'status'>, mode: SessionsMode): Promise<string | undefined>
}

export function createRunParentSession(client: OpencodeClient, directory: string): RunParentSession {
  let named!: (title: string) => void
  const title = new Promise<string>((r) => (named = r))
  let created: Promise<string | undefined> | undefined
  const make = async (): Promise<string | undefined> => {
    const res = await client.session.create({ directory, title: await title } as never).catch(() => undefined)
    return ((res as { data?: { id?: string } } | undefined)?.data?.id) ?? undefined
  }
  return {
    id: () => (created ??= make()),
    name(name, runId) {
      named(`ocdw: ${name} ${runId}`)
    },
    async finish(summary, mode) {
      if (!created) return undefined // no agent ran: no session was made
      const id = await created
      const drop = mode === 'delete' || (mode === 'delete-on-success' && summary.status === 'completed')
      if (!id || !drop) return undefined
      const res = await client.session.delete({ sessionID: id, directory } as never).catch((err: Error) => ({ error: err }))
      const error = (res as { error?: unknown }).error
      return error ? `could not delete the run's OpenCode session ${id} (${(error as Error).message ?? JSON.stringify(error)}); delete it in OpenCode if you do not want it.` : undefined
    },
  }
}
