// Turns what the workflow actor emits, and what an executor reports while an agent runs, into the runtime's
// RuntimeEvents (stamped with the time) and journal lines. The workflow is the only announcer of agents; this file
// only relays (the vocabulary table is ARCHITECTURE §2).
import type { AgentActivity, AgentExecutor, RuntimeEvent } from '../machines/types.js'
import type { WorkflowEmitted } from '../machines/workflow-events.js'
import type { GuardedJournal } from './run-journal.js'
import type { ScriptHost } from './script-host.js'

/** The RuntimeEvents one executor report stands for (a note may be several log lines). */
export function activityEvents(key: string, a: AgentActivity, at: number): RuntimeEvent[] {
  switch (a.type) {
    case 'session':
      return [{ type: 'agent.session', key, sessionId: a.sessionId, at }]
    case 'tool':
      return [{ type: 'agent.tool', key, call: a.call, at }]
    case 'permission':
      return [{ type: 'agent.permission', key, requestId: a.requestId, permission: a.permission, patterns: a.patterns, at }]
    case 'retry':
      return [{ type: 'agent.retry', key, attempt: a.attempt, error: a.error, at }]
    case 'stalled':
      return [{ type: 'agent.stalled', key, sinceMs: a.sinceMs, at }]
    case 'note':
      return a.message.split('\n').map((line) => ({ type: 'log', level: 'warn', message: line, at }))
    default:
      // 'throttled' feeds adaptive concurrency (adaptive-concurrency.ts), not the surfaces.
      return []
  }
}

export interface RelayDeps {
  runId: string
  emit(ev: RuntimeEvent): void
  journal: GuardedJournal
  host: ScriptHost
  executor: AgentExecutor
}

/** Relays one emitted workflow event. */
export function relayWorkflowEvent(ev: WorkflowEmitted, d: RelayDeps): void {
  const at = Date.now()
  switch (ev.type) {
    case 'agent.queued':
      d.emit({ ...ev, at })
      break
    case 'agent.started':
      d.journal.appendQuietly({ t: 'agent.started', key: ev.key, attempt: ev.attempt, at })
      d.emit({ ...ev, at })
      break
    case 'agent.finished':
      d.host.settle(ev)
      break
    case 'agent.refused':
      d.host.refuse(ev.key, ev.reason)
      break
    case 'phase.started':
      d.journal.appendQuietly({ t: 'phase', title: ev.title, at })
      d.emit({ ...ev, at })
      break
    case 'run.status':
      d.journal.appendQuietly({ t: 'run', status: ev.status, at })
      d.emit({ type: 'run.status', runId: d.runId, status: ev.status, error: ev.error, at })
      break
    case 'permission.reply':
      replyPermission(ev, d, at)
      break
  }
}

function replyPermission(ev: Extract<WorkflowEmitted, { type: 'permission.reply' }>, d: RelayDeps, at: number): void {
  // A stale or unknown request id must not crash the run (an unhandled rejection would): say so in the log.
  if (!d.executor.replyPermission) {
    d.emit({ type: 'log', level: 'warn', message: `This run's agents cannot be answered (the executor takes no permission replies); agent ${ev.key} keeps waiting.`, at })
    return
  }
  d.executor.replyPermission(ev.requestId, ev.reply).then(
    () => {
      d.emit({ type: 'agent.permission.replied', key: ev.key, requestId: ev.requestId, reply: ev.reply, at: Date.now() })
      d.emit({ type: 'log', message: `permission ${ev.requestId} of agent ${ev.key} answered: ${ev.reply}`, at: Date.now() })
    },
    (err: Error) => d.emit({ type: 'log', level: 'error', message: `Answering permission ${ev.requestId} of agent ${ev.key} failed: ${err.message}`, at: Date.now() }),
  )
}
