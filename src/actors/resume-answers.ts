// Answers the script gets without a live agent: journal answers on resume, and outcomes of agents restored from a
// snapshot that finished before the script asked for them. Both are handed over one at a time, whenever the script
// has nothing else to do (a macrotask), earliest first: why that order matters is in script-host.ts's header.
import type { AgentCall, Tokens } from '../machines/types.js'
import type { AgentOutcome } from '../machines/workflow-events.js'
import { deferred } from './deferred.js'

/** An agent completed in an earlier attempt of the run, as the journal holds it. */
export interface CachedAgent {
  /** Position in the journal: replay answers in this order (script-host.ts's header says why). */
  seq?: number
  result: unknown
  tokens: Tokens
  cost: number
  phase: string
  label?: string
}

export interface ResumeAnswers {
  /** The script's answer for this call when one is known before asking (journal, early outcome), else undefined:
   *  the call runs live. `onJournalHit` runs when a journal answer is handed over (the workflow announces it). */
  answer(call: AgentCall, onJournalHit: (hit: CachedAgent) => void): Promise<unknown> | undefined
  /** A live outcome nobody asked for yet (a restored agent finished early): the script's later call gets it. */
  keep(outcome: AgentOutcome): void
}

export function createResumeAnswers(cached: Map<string, CachedAgent>, leadingOnly: boolean): ResumeAnswers {
  const early = new Map<string, AgentOutcome & { seq: number }>()
  let nextSeq = Number.MAX_SAFE_INTEGER / 2
  /** An edited script made a call the journal does not hold: later calls run live. */
  let diverged = false
  /** Waiting answers, sorted by seq with the next to hand over last. */
  const held: { seq: number; deliver(): void }[] = []
  let releasing = false

  function releaseOne(): void {
    const next = held.pop()
    if (next) next.deliver()
    if (held.length) setImmediate(releaseOne)
    else releasing = false
  }

  function inTurn(seq: number, answer: () => unknown): Promise<unknown> {
    const d = deferred<unknown>()
    let i = held.length
    while (i > 0 && held[i - 1]!.seq < seq) i--
    held.splice(i, 0, { seq, deliver: () => d.resolve(answer()) })
    if (!releasing) {
      releasing = true
      setImmediate(releaseOne)
    }
    return d.promise
  }

  return {
    answer(call, onJournalHit) {
      const hit = diverged ? undefined : cached.get(call.key)
      if (!hit && leadingOnly && !early.has(call.key)) diverged = true
      if (hit) {
        return inTurn(hit.seq ?? 0, () => {
          onJournalHit(hit)
          return hit.result
        })
      }
      const earlier = early.get(call.key)
      if (!earlier) return undefined
      // A restored agent finished (and was journaled) before the script got here: that was its one new attempt.
      early.delete(call.key)
      return inTurn(earlier.seq, () => (earlier.status === 'done' ? (earlier.result ?? null) : null))
    },
    keep(outcome) {
      early.set(outcome.key, { ...outcome, seq: nextSeq++ })
    },
  }
}
