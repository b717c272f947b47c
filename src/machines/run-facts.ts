// The facts every surface prints about a run (status, agents, tokens, elapsed): `ocdw ls`, `ocdw show`, the TUI's
// list, workflow_status and report.md all compute them here from the same two inputs (run.json and the run's view,
// live over the control channel or view.json on disk), so they cannot tell different stories.
import { agentTotals, type RunView } from './run-view.js'
import { totalTokens } from './tokens.js'

/** The fields of run.json these facts need (src/store/run-file.ts). */
export interface RunRecord {
  status: string
  startedAt: number
  endedAt?: number
  /** Time the run ran before its latest resume. */
  activeMs?: number
  /** When its latest resume began. */
  resumedAt?: number
  totals?: { agents: { done: number; total: number }; tokens: { total: number } }
}

export interface RunFacts {
  /** The view's status while a process runs the run; run.json's once it ended; `interrupted` when its process died. */
  status: string
  agents: { done: number; total: number }
  tokens: number
  elapsedMs: number
}

/** Time the run has run up to `end`: earlier attempts plus the latest one, never the time it lay interrupted. */
export function runElapsedMs(run: RunRecord, end: number): number {
  return (run.activeMs ?? 0) + Math.max(0, end - (run.resumedAt ?? run.startedAt))
}

/**
 * `live`: a process serves the run now. `lastWriteAt`: when a dead run last wrote (its journal's mtime), the end of
 * its elapsed time.
 */
export function runFacts(run: RunRecord, view: RunView | undefined, o: { live: boolean; now: number; lastWriteAt?: number }): RunFacts {
  const status = o.live && view ? view.status : run.status === 'running' || run.status === 'paused' ? (o.live ? run.status : 'interrupted') : run.status
  const t = view ? agentTotals(view) : undefined
  const agents = t ? { done: t.done, total: t.total } : { done: run.totals?.agents.done ?? 0, total: run.totals?.agents.total ?? 0 }
  const tokens = view ? totalTokens(view.tokens) : (run.totals?.tokens.total ?? 0)
  const end = run.endedAt ?? (o.live ? o.now : (o.lastWriteAt ?? o.now))
  return { status, agents, tokens, elapsedMs: runElapsedMs(run, end) }
}
