// The AgentBackend the sandbox calls: turns the script's agent() calls into workflow-actor events and the actor's
// `agent.finished` / `agent.refused` emissions back into the script's resolved (or thrown) promises. Completed
// agents of an earlier attempt of the run (the journal) answer without an actor or a model call: that is resume
// (resume-answers.ts).
//
// Replay order: journal answers are handed to the script one at a time, whenever the script has nothing else to do,
// earliest-journaled first. The original run gave the script its results in journal order, so the replay walks the
// script through the same interleaving, and calls made after an await (whose keys count occurrences in call order)
// get the same keys as the first time: identical prompts in parallel branches keep their own results.
import type { AgentBackend, AgentCall, GateResult, RuntimeEvent } from '../machines/types.js'
import type { AgentOutcome, WorkflowEvent } from '../machines/workflow-events.js'
import type { JournalEntry } from '../store/journal.js'
import { deferred, type Deferred } from './deferred.js'
import { createResumeAnswers, type CachedAgent } from './resume-answers.js'
import { AgentRefusedError } from '../script/errors.js'


export interface ScriptHostDeps {
  actor: { send(event: WorkflowEvent): void }
  cached: Map<string, CachedAgent>
  emit(ev: RuntimeEvent): void
  journal: { append(entry: JournalEntry): void }
  budget(): { total: number | null; spent: number }
  gate?: (command: string, opts?: { timeoutMs?: number }) => Promise<GateResult>
  onSettled(outcome: AgentOutcome): void
  /** The script was edited for this resume: the journal answers only the leading calls, up to the first call it
   *  does not hold; from there on every call runs live (its inputs may come from the edited part). */
  leadingOnly?: boolean
}

/** A script may log this many lines; more would only flood the journal (a runaway loop), so they are dropped. */
export const MAX_LOG_LINES = 10_000
/** An agent prompt larger than this is a script bug (a whole dataset pasted in), not a task: agent() resolves null. */
export const MAX_PROMPT_CHARS = 1_000_000

/** The first ~200 characters of a result, for lists. */
function preview(result: unknown): string | undefined {
  if (result === null || result === undefined) return undefined
  const text = typeof result === 'string' ? result : JSON.stringify(result)
  return text.length > 200 ? text.slice(0, 199) + '…' : text
}

/** The journal line of a live agent's outcome (entry names as older runs wrote them: agent.done/failed/stopped). */
function journalEntryOf(o: AgentOutcome, at: number): JournalEntry {
  if (o.status === 'done') {
    return { t: 'agent.done', key: o.key, phase: o.call.phase, label: o.call.opts.label ?? o.key, result: o.result ?? null, tokens: o.tokens, cost: o.cost, sessionId: o.sessionId, at }
  }
  if (o.status === 'failed') return { t: 'agent.failed', key: o.key, error: o.error ?? 'unknown error', tokens: o.tokens, cost: o.cost, at }
  return { t: 'agent.stopped', key: o.key, at }
}

/** The RuntimeEvent every surface folds for an outcome. */
function finishedEventOf(o: AgentOutcome, at: number): RuntimeEvent {
  return { type: 'agent.finished', key: o.key, status: o.status, tokens: o.tokens, cost: o.cost, cached: o.cached, error: o.error, preview: preview(o.result), at }
}

/** Says each reason once in the run's log (a refusal repeated 1,000 times is one line). */
function createWarnOnce(emit: (ev: RuntimeEvent) => void): (reason: string) => void {
  const said = new Set<string>()
  return (reason) => {
    if (said.has(reason)) return
    said.add(reason)
    emit({ type: 'log', message: reason, level: 'warn', at: Date.now() })
  }
}

/** The script's log(): lines cut at 10,000 characters, at most MAX_LOG_LINES of them. */
function createScriptLog(emit: (ev: RuntimeEvent) => void, warnOnce: (reason: string) => void): (message: string) => void {
  let lines = 0
  return (message) => {
    if (++lines > MAX_LOG_LINES) {
      warnOnce(`log() was called more than ${MAX_LOG_LINES.toLocaleString('en-US')} times; later lines are dropped so the journal stays small`)
      return
    }
    emit({ type: 'log', message: message.length > 10_000 ? message.slice(0, 10_000) + '…' : message, level: 'info', at: Date.now() })
  }
}

export type ScriptHost = AgentBackend & {
  /** The workflow's `agent.finished`: journal it (live), show it, answer the script. */
  settle(outcome: AgentOutcome): void
  /** The workflow's `agent.refused`: the script's call throws the reason. */
  refuse(key: string, reason: string): void
}

export function createScriptHost(deps: ScriptHostDeps): ScriptHost {
  const pending = new Map<string, Deferred<unknown>>()
  const known = createResumeAnswers(deps.cached, deps.leadingOnly ?? false)
  const warnOnce = createWarnOnce(deps.emit)

  function takePending(key: string): Deferred<unknown> | undefined {
    const d = pending.get(key)
    pending.delete(key)
    return d
  }

  function agent(call: AgentCall): Promise<unknown> {
    if (call.prompt.length > MAX_PROMPT_CHARS) {
      warnOnce(`an agent() prompt of ${Math.round(call.prompt.length / 1000)}k characters is over the ${MAX_PROMPT_CHARS / 1_000_000}M limit, so agent() returned null; pass file paths for the agent to read instead of the data itself`)
      return Promise.resolve(null)
    }
    // Resume: a journal answer needs no actor and no model call; the workflow counts and announces it.
    const answered = known.answer(call, (hit) => deps.actor.send({ type: 'AGENT.CACHED', call, result: hit.result, tokens: hit.tokens, cost: hit.cost }))
    if (answered) return answered
    const d = deferred<unknown>()
    pending.set(call.key, d)
    deps.actor.send({ type: 'AGENT.REQUEST', call })
    return d.promise
  }

  function settle(outcome: AgentOutcome): void {
    const at = Date.now()
    if (outcome.cached) {
      // Journaled by the run that ran it; the script's promise is answered where the hit was found.
      deps.emit(finishedEventOf(outcome, at))
      return
    }
    // The journal line is written before the script can see the result: a crash after this point never loses it.
    // When it cannot be written (disk full), the script never sees the result; the runtime fails the run.
    try {
      deps.journal.append(journalEntryOf(outcome, at))
    } catch {
      return
    }
    deps.emit(finishedEventOf(outcome, at))
    deps.onSettled(outcome)
    // The infrastructure failed, not the agent: the run is being interrupted, and the script must not take this
    // for the agent's answer (resume asks the agent again).
    if (outcome.infrastructure) return
    const d = takePending(outcome.key)
    if (d) d.resolve(outcome.status === 'done' ? (outcome.result ?? null) : null)
    else known.keep(outcome)
  }

  function refuse(key: string, reason: string): void {
    // Refused by the cap or the budget: never started, so nothing to journal; say why once per reason. The script
    // sees the refusal thrown, as in Claude Code.
    warnOnce(reason)
    takePending(key)?.reject(new AgentRefusedError(reason.charAt(0).toUpperCase() + reason.slice(1) + '.'))
  }

  return {
    agent,
    settle,
    refuse,
    phase(title: string): void {
      deps.actor.send({ type: 'PHASE', title })
    },
    log: createScriptLog(deps.emit, warnOnce),
    budget() {
      return deps.budget()
    },
    async gate(command: string, opts?: { timeoutMs?: number }): Promise<GateResult> {
      if (!deps.gate) return { ok: false, exitCode: -1, output: 'gate() is not available: this run has no shell to run commands in.' }
      return deps.gate(command, opts)
    },
  }
}
