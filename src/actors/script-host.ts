// The AgentBackend the sandbox calls: turns the script's agent() calls into workflow-actor events and the actor's
// `agent.settled` emissions back into the script's resolved promises. Completed agents of an earlier attempt of the
// run (the journal) answer without an actor or a model call: that is resume.
//
// Replay order: journal answers are handed to the script one at a time, whenever the script has nothing else to do,
// earliest-journaled first. The original run gave the script its results in journal order, so the replay walks the
// script through the same interleaving, and calls made after an await (whose keys count occurrences in call order)
// get the same keys as the first time: identical prompts in parallel branches keep their own results.
import type { AgentBackend, AgentCall, GateResult, RuntimeEvent, Tokens } from '../machines/types.js'
import type { WorkflowEmitted } from '../machines/workflow.js'
import type { JournalEntry } from '../store/journal.js'
import { deferred, type Deferred } from './deferred.js'
import { AgentRefusedError } from '../script/errors.js'

export interface CachedAgent {
  /** Position in the journal: replay answers in this order (see the file comment). */
  seq?: number
  result: unknown
  tokens: Tokens
  cost: number
  phase: string
  label?: string
}

/** What the workflow actor reports when an agent settles (plus `cached` for journal answers). */
export type SettledEvent = Omit<Extract<WorkflowEmitted, { type: 'agent.settled' }>, 'type'> & { cached?: boolean }

export interface ScriptHostDeps {
  actor: { send(event: any): void }
  cached: Map<string, CachedAgent>
  calls: Map<string, AgentCall>
  emit(ev: RuntimeEvent): void
  journal: { append(entry: JournalEntry): void }
  budget(): { total: number | null; spent: number }
  gate?: (command: string, opts?: { timeoutMs?: number }) => Promise<GateResult>
  onSettled(key: string, settled: SettledEvent): void
  /** The script was edited for this resume: the journal answers only the leading calls, up to the first call it
   *  does not hold; from there on every call runs live (its inputs may come from the edited part). */
  leadingOnly?: boolean
}

const ZERO: Tokens = { input: 0, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 }

/** A script may log this many lines; more would only flood the journal (a runaway loop), so they are dropped. */
export const MAX_LOG_LINES = 10_000
/** An agent prompt larger than this is a script bug (a whole dataset pasted in), not a task: agent() resolves null. */
export const MAX_PROMPT_CHARS = 1_000_000

export function createScriptHost(deps: ScriptHostDeps): AgentBackend & { settle(ev: SettledEvent): void } {
  const pending = new Map<string, Deferred<unknown>>()
  /** Settlements that arrived before the script asked (agents restored from a snapshot finish on their own): the
   *  script's later call gets this answer, never a second model request. */
  const early = new Map<string, SettledEvent & { seq: number }>()
  let nextSeq = Number.MAX_SAFE_INTEGER / 2
  /** Answers known before the script asked (journal, early settlements), waiting for their turn; sorted by seq, the
   *  next to hand over last. */
  const held: { seq: number; deliver(): void }[] = []
  let releasing = false
  /** An edited script made a call the journal does not hold: later calls run live. */
  let diverged = false
  const skipReasons = new Set<string>()
  let logLines = 0
  const warnOnce = (reason: string) => {
    if (skipReasons.has(reason)) return
    skipReasons.add(reason)
    deps.emit({ type: 'log', message: reason, level: 'warn', at: Date.now() })
  }

  function rejectPending(key: string, error: Error): void {
    const d = pending.get(key)
    if (!d) return
    pending.delete(key)
    d.reject(error)
  }

  function resolvePending(key: string, value: unknown): boolean {
    const d = pending.get(key)
    if (!d) return false
    pending.delete(key)
    d.resolve(value)
    return true
  }

  function hold(seq: number, deliver: () => void): void {
    let i = held.length
    while (i > 0 && held[i - 1]!.seq < seq) i--
    held.splice(i, 0, { seq, deliver })
    if (!releasing) {
      releasing = true
      setImmediate(releaseOne)
    }
  }

  /** Runs after the script's pending work (a macrotask): hands over the earliest held answer, then waits again. */
  function releaseOne(): void {
    const next = held.pop()
    if (next) next.deliver()
    if (held.length) setImmediate(releaseOne)
    else releasing = false
  }

  function preview(result: unknown): string | undefined {
    if (result === null || result === undefined) return undefined
    const text = typeof result === 'string' ? result : JSON.stringify(result)
    return text.length > 200 ? text.slice(0, 199) + '…' : text
  }

  function journalSettled(ev: SettledEvent, tokens: Tokens, cost: number): void {
    if (ev.status === 'done') {
      const call = deps.calls.get(ev.key) ?? ev.call
      deps.journal.append({ t: 'agent.done', key: ev.key, phase: call?.phase ?? '', label: call?.opts.label ?? ev.key, result: ev.result ?? null, tokens, cost, sessionId: ev.sessionId, at: Date.now() })
    } else if (ev.status === 'failed') {
      deps.journal.append({ t: 'agent.failed', key: ev.key, error: ev.error ?? 'unknown error', tokens, cost, at: Date.now() })
    } else {
      deps.journal.append({ t: 'agent.stopped', key: ev.key, at: Date.now() })
    }
  }

  return {
    agent(call: AgentCall): Promise<unknown> {
      if (call.prompt.length > MAX_PROMPT_CHARS) {
        warnOnce(`an agent() prompt of ${Math.round(call.prompt.length / 1000)}k characters is over the ${MAX_PROMPT_CHARS / 1_000_000}M limit, so agent() returned null; pass file paths for the agent to read instead of the data itself`)
        return Promise.resolve(null)
      }
      deps.calls.set(call.key, call)
      const hit = diverged ? undefined : deps.cached.get(call.key)
      if (!hit && deps.leadingOnly && !early.has(call.key)) diverged = true
      if (hit) {
        // Resume: answered from the journal, no actor and no model call. Counted by the workflow as done+cached.
        const d = deferred<unknown>()
        hold(hit.seq ?? 0, () => {
          const at = Date.now()
          deps.emit({ type: 'agent.queued', key: call.key, label: call.opts.label ?? call.key, phase: call.phase, prompt: call.prompt, model: call.opts.model, at })
          deps.emit({ type: 'agent.finished', key: call.key, status: 'done', tokens: hit.tokens, cost: hit.cost, cached: true, preview: preview(hit.result), at })
          deps.actor.send({ type: 'AGENT.CACHED', key: call.key, phase: call.phase, tokens: hit.tokens, cost: hit.cost })
          d.resolve(hit.result)
        })
        return d.promise
      }
      const earlier = early.get(call.key)
      if (earlier) {
        // A restored agent finished (and was journaled) before the script got here: that was its one new attempt.
        early.delete(call.key)
        const d = deferred<unknown>()
        hold(earlier.seq, () => d.resolve(earlier.status === 'done' ? (earlier.result ?? null) : null))
        return d.promise
      }
      const d = deferred<unknown>()
      pending.set(call.key, d)
      deps.actor.send({ type: 'AGENT.REQUEST', call })
      return d.promise
    },

    settle(ev: SettledEvent): void {
      const at = Date.now()
      if (ev.status === 'skipped') {
        // Refused by the cap or the budget: never started, so nothing to journal; say why once per reason. The script
        // sees the refusal thrown, as in Claude Code.
        const reason = ev.reason ?? ev.error ?? 'the agent was skipped'
        warnOnce(reason)
        rejectPending(ev.key, new AgentRefusedError(reason.charAt(0).toUpperCase() + reason.slice(1) + '.'))
        return
      }
      const tokens = ev.tokens ?? ZERO
      const cost = ev.cost ?? 0
      // The journal line is written before the script can see the result: a crash after this point never loses it.
      // When it cannot be written (disk full), the script never sees the result; the runtime fails the run.
      try {
        journalSettled(ev, tokens, cost)
      } catch {
        return
      }
      deps.emit({
        type: 'agent.finished',
        key: ev.key,
        status: ev.status,
        tokens,
        cost,
        cached: false,
        error: ev.error ?? ev.reason,
        preview: preview(ev.result),
        at,
      })
      deps.onSettled(ev.key, ev)
      // The infrastructure failed, not the agent: the run is being interrupted, and the script must not take this
      // for the agent's answer (resume asks the agent again).
      if (ev.infrastructure) return
      if (!resolvePending(ev.key, ev.status === 'done' ? (ev.result ?? null) : null)) early.set(ev.key, { ...ev, seq: nextSeq++ })
    },

    phase(title: string): void {
      deps.actor.send({ type: 'PHASE', title })
    },

    log(message: string): void {
      if (++logLines > MAX_LOG_LINES) {
        warnOnce(`log() was called more than ${MAX_LOG_LINES.toLocaleString('en-US')} times; later lines are dropped so the journal stays small`)
        return
      }
      deps.emit({ type: 'log', message: message.length > 10_000 ? message.slice(0, 10_000) + '…' : message, level: 'info', at: Date.now() })
    },

    budget() {
      return deps.budget()
    },

    async gate(command: string, opts?: { timeoutMs?: number }): Promise<GateResult> {
      if (!deps.gate) return { ok: false, exitCode: -1, output: 'gate() is not available: this run has no shell to run commands in.' }
      return deps.gate(command, opts)
    },
  }
}
