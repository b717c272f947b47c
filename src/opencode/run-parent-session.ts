// Session hygiene for CLI runs: one parent OpenCode session per run ("ocdw: <name> <runId>"), the agents (and gates)
// as its children, so a run of 200 agents adds one entry to the user's session list instead of 200. After the run,
// `--sessions` decides what stays: keep (default), delete-on-success, delete (the parent and its children). With a pool
// of servers, each server the run used gets its own parent (a session's children live on its server).
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import type { RunSummary } from '../machines/types.js'

/** What happens to the run's sessions afterwards (--sessions). */
export type SessionsMode = 'keep' | 'delete-on-success' | 'delete'

export interface RunParentSession {
  /** For the executor: resolves to the parent session's id on `client` (default: the run's first server) once the run
   *  is named (undefined when it cannot be made). */
  id(client?: OpencodeClient): Promise<string | undefined>
  /** Names the session after the run (called once startRun returned the run id). */
  name(name: string, runId: string): void
  /** Applies the sessions mode once the run ended. Returns a warning sentence when a deletion failed. */
  finish(summary: Pick<RunSummary, 'status'>, mode: SessionsMode): Promise<string | undefined>
}

export function createRunParentSession(client: OpencodeClient, directory: string): RunParentSession {
  let named!: (title: string) => void
  const title = new Promise<string>((r) => (named = r))
  const created = new Map<OpencodeClient, Promise<string | undefined>>()
  const make = async (on: OpencodeClient): Promise<string | undefined> => {
    const res = await on.session.create({ directory, title: await title } as never).catch(() => undefined)
    return ((res as { data?: { id?: string } } | undefined)?.data?.id) ?? undefined
  }
  const drop = async (on: OpencodeClient, id: string): Promise<string | undefined> => {
    const res = await on.session.delete({ sessionID: id, directory } as never).catch((err: Error) => ({ error: err }))
    const error = (res as { error?: unknown }).error
    return error ? `could not delete the run's OpenCode session ${id} (${(error as Error).message ?? JSON.stringify(error)}); delete it in OpenCode if you do not want it.` : undefined
  }
  return {
    id(on = client) {
      let p = created.get(on)
      if (!p) created.set(on, (p = make(on)))
      return p
    },
    name(name, runId) {
      named(`ocdw: ${name} ${runId}`)
    },
    async finish(summary, mode) {
      // No agent ran: no session was made.
      if (!(mode === 'delete' || (mode === 'delete-on-success' && summary.status === 'completed'))) return undefined
      const warnings = await Promise.all([...created].map(async ([on, p]) => {
        const id = await p
        return id ? drop(on, id) : undefined
      }))
      return warnings.find((w) => w !== undefined)
    },
  }
}
