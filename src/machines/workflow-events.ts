// The workflow actor's vocabulary (ARCHITECTURE §2 has the table: who sends each event, who hears it). Events it
// receives are UPPER.CASE; what it emits for the runtime is lower.case and carries no clock (the runtime stamps `at`).
import type { AgentFinished } from './agent.js'
import type { AgentCall, ControlCommand, RunStatus, Tokens } from './types.js'

export type WorkflowEvent =
  /** The runtime is wired (control channel up): the script may start. */
  | { type: 'SCRIPT.READY' }
  /** The script's `agent()` call, to run live. */
  | { type: 'AGENT.REQUEST'; call: AgentCall }
  /** The script's `agent()` call answered from the journal on resume: counted and announced, never run. */
  | { type: 'AGENT.CACHED'; call: AgentCall; result: unknown; tokens: Tokens; cost: number }
  /** A restored snapshot is live: announce the agents it holds in flight (they run again at once). */
  | { type: 'RESTORED' }
  | { type: 'PHASE'; title: string }
  /** The runtime cannot go on (e.g. the journal cannot be written): the run ends as failed with this message. */
  | { type: 'FAIL'; error: string }
  /** The runtime's concurrency governor moved the semaphore's limit (adaptive concurrency, issue 17.2). */
  | { type: 'CONCURRENCY.SET'; limit: number }
  | AgentFinished
  | ControlCommand

/** One agent's outcome, live or from the journal: the runtime journals it (live ones), shows it and answers the script. */
export interface AgentOutcome {
  type: 'agent.finished'
  key: string
  status: 'done' | 'failed' | 'stopped'
  /** The agent's call as the workflow tracks it (a restored agent finishes before this process's script asks). */
  call: AgentCall
  tokens: Tokens
  cost: number
  /** true when answered from the journal on resume (no model call, nothing to journal). */
  cached: boolean
  result?: unknown
  error?: string
  sessionId?: string
  /** Failed because of the infrastructure: journaled, but the script never sees it (the run is interrupted). */
  infrastructure?: boolean
}

export type WorkflowEmitted =
  | { type: 'agent.queued'; key: string; label: string; phase: string; prompt: string; model?: string }
  | { type: 'agent.started'; key: string; attempt: number }
  | AgentOutcome
  /** The cap or the budget refused an `agent()` call: it never started; the script's call throws `reason`. */
  | { type: 'agent.refused'; key: string; reason: string }
  | { type: 'phase.started'; title: string }
  | { type: 'run.status'; status: RunStatus; error?: string }
  | { type: 'permission.reply'; key: string; requestId: string; reply: 'once' | 'always' | 'reject' }

/** The `agent.queued` announcement of a call. */
export function queuedOf(call: AgentCall): Extract<WorkflowEmitted, { type: 'agent.queued' }> {
  return { type: 'agent.queued', key: call.key, label: call.opts.label ?? call.key, phase: call.phase, prompt: call.prompt, model: call.opts.model }
}
