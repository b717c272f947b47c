// The run as the surfaces see it: a pure fold of RuntimeEvents. The CLI progress, `ocdw show`, the TUI and the
// control channel's snapshot all use this one reducer, so they can never disagree about counts or tokens.
import type { AgentFinalStatus, AgentStatus, RunStatus, RuntimeEvent, Tokens, ToolCallInfo } from './types.js'
import { addTokens, zeroTokens } from './tokens.js'

export interface AgentView {
  key: string
  label: string
  phase: string
  prompt: string
  model?: string
  status: AgentStatus
  attempt: number
  sessionId?: string
  tokens: Tokens
  cost: number
  cached: boolean
  queuedAt: number
  startedAt?: number
  endedAt?: number
  error?: string
  preview?: string
  stalled?: boolean
  permission?: { requestId: string; permission: string; patterns: string[] }
  /** Most recent tool calls, newest last, at most MAX_TOOLS. */
  tools: ToolCallInfo[]
}

export interface PhaseView {
  title: string
  detail?: string
  counts: Record<AgentStatus, number>
  tokens: Tokens
  firstAt?: number
  lastAt?: number
}

export interface RunView {
  runId: string
  name: string
  description?: string
  status: RunStatus
  error?: string
  startedAt?: number
  endedAt?: number
  phases: PhaseView[]
  /** Agents in the order they were queued. */
  agents: AgentView[]
  log: { at: number; message: string; level?: 'info' | 'warn' | 'error' }[]
  result?: unknown
  tokens: Tokens
  cost: number
  /** Agents that may run at once now, and whether that adapts to the models' answers or is pinned. */
  concurrency?: { limit: number; mode: 'adaptive' | 'pinned' }
}

export const MAX_TOOLS = 20
export const MAX_LOG = 500

const zeroCounts = (): Record<AgentStatus, number> => ({ queued: 0, running: 0, done: 0, failed: 0, stopped: 0, skipped: 0 })

export function emptyRunView(runId: string, name = runId): RunView {
  return { runId, name, status: 'running', phases: [], agents: [], log: [], tokens: zeroTokens(), cost: 0 }
}

/**
 * Folds one event into the view. Mutates and returns `view` (the TUI keeps one view per live run and applies
 * thousands of events; copying 1,000 agents per event would be quadratic). Index maps are kept off the object so
 * the view stays JSON-serialisable.
 */
export function applyEvent(view: RunView, ev: RuntimeEvent): RunView {
  const idx = indexOf(view)
  switch (ev.type) {
    case 'run.status':
      view.status = ev.status
      if (ev.error) view.error = ev.error
      if (ev.status === 'running' && view.startedAt === undefined) view.startedAt = ev.at
      if (['completed', 'failed', 'stopped', 'denied', 'interrupted'].includes(ev.status)) view.endedAt = ev.at
      else view.endedAt = undefined
      break
    case 'run.meta':
      view.name = ev.name
      view.description = ev.description
      for (const p of ev.phases) ensurePhase(view, idx, p.title).detail = p.detail
      break
    case 'phase.started':
      ensurePhase(view, idx, ev.title)
      break
    case 'agent.queued': {
      const existing = idx.agents.get(ev.key)
      if (existing) {
        // Re-queued (restart): move its count back to queued.
        moveStatus(view, idx, existing, 'queued')
        existing.error = undefined
        existing.endedAt = undefined
        break
      }
      const agent: AgentView = {
        key: ev.key,
        label: ev.label,
        phase: ev.phase,
        prompt: ev.prompt,
        model: ev.model,
        status: 'queued',
        attempt: 0,
        tokens: zeroTokens(),
        cost: 0,
        cached: false,
        queuedAt: ev.at,
        tools: [],
      }
      view.agents.push(agent)
      idx.agents.set(ev.key, agent)
      const phase = ensurePhase(view, idx, ev.phase)
      phase.counts.queued++
      phase.firstAt ??= ev.at
      break
    }
    case 'agent.started': {
      const a = idx.agents.get(ev.key)
      if (!a) break
      a.attempt = ev.attempt
      a.startedAt = ev.at
      a.stalled = false
      moveStatus(view, idx, a, 'running')
      break
    }
    case 'agent.session': {
      const a = idx.agents.get(ev.key)
      if (a) a.sessionId = ev.sessionId
      break
    }
    case 'agent.tool': {
      const a = idx.agents.get(ev.key)
      if (!a) break
      a.stalled = false
      const i = a.tools.findIndex((t) => t.id === ev.call.id)
      if (i >= 0) a.tools[i] = ev.call
      else {
        a.tools.push(ev.call)
        if (a.tools.length > MAX_TOOLS) a.tools.shift()
      }
      break
    }
    case 'agent.permission': {
      const a = idx.agents.get(ev.key)
      if (a) a.permission = { requestId: ev.requestId, permission: ev.permission, patterns: ev.patterns }
      break
    }
    case 'agent.permission.replied': {
      const a = idx.agents.get(ev.key)
      if (a?.permission?.requestId === ev.requestId) a.permission = undefined
      break
    }
    case 'agent.stalled': {
      const a = idx.agents.get(ev.key)
      if (a) a.stalled = true
      break
    }
    case 'agent.retry':
      break
    case 'agent.finished': {
      const a = idx.agents.get(ev.key)
      if (!a) break
      moveStatus(view, idx, a, ev.status)
      a.tokens = addTokens(a.tokens, ev.tokens)
      a.cost += ev.cost
      a.cached = ev.cached
      a.error = ev.error
      a.preview = ev.preview
      a.endedAt = ev.at
      a.permission = undefined
      a.stalled = false
      const phase = ensurePhase(view, idx, a.phase)
      phase.tokens = addTokens(phase.tokens, ev.tokens)
      phase.lastAt = ev.at
      view.tokens = addTokens(view.tokens, ev.tokens)
      view.cost += ev.cost
      break
    }
    case 'log':
      view.log.push({ at: ev.at, message: ev.message, level: ev.level })
      if (view.log.length > MAX_LOG) view.log.splice(0, view.log.length - MAX_LOG)
      break
    case 'run.result':
      view.result = ev.result
      break
    case 'concurrency':
      view.concurrency = { limit: ev.limit, mode: ev.mode }
      break
  }
  return view
}

/** The agent with this key, through the view's index (O(1); `view.agents.find` is O(n) per call). */
export function findAgent(view: RunView, key: string): AgentView | undefined {
  return indexOf(view).agents.get(key)
}

export function foldEvents(runId: string, events: Iterable<RuntimeEvent>): RunView {
  const view = emptyRunView(runId)
  for (const ev of events) applyEvent(view, ev)
  return view
}

/** Agent counts for the `--json` summary. */
export function agentTotals(view: RunView): Record<AgentFinalStatus | 'total' | 'cached' | 'running' | 'queued', number> {
  const t = { total: 0, done: 0, failed: 0, stopped: 0, skipped: 0, cached: 0, running: 0, queued: 0 }
  for (const a of view.agents) {
    t.total++
    t[a.status]++
    if (a.cached) t.cached++
  }
  return t
}

// ---- internals ----

interface Index {
  agents: Map<string, AgentView>
  phases: Map<string, PhaseView>
}

const indexes = new WeakMap<RunView, Index>()

function indexOf(view: RunView): Index {
  let idx = indexes.get(view)
  if (!idx) {
    idx = {
      agents: new Map(view.agents.map((a) => [a.key, a])),
      phases: new Map(view.phases.map((p) => [p.title, p])),
    }
    indexes.set(view, idx)
  }
  return idx
}

function ensurePhase(view: RunView, idx: Index, title: string): PhaseView {
  let p = idx.phases.get(title)
  if (!p) {
    p = { title, counts: zeroCounts(), tokens: zeroTokens() }
    view.phases.push(p)
    idx.phases.set(title, p)
  }
  return p
}

function moveStatus(view: RunView, idx: Index, a: AgentView, to: AgentStatus): void {
  const phase = ensurePhase(view, idx, a.phase)
  phase.counts[a.status] = Math.max(0, phase.counts[a.status] - 1)
  phase.counts[to]++
  a.status = to
}
