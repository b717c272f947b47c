// The run as the surfaces see it: a pure fold of RuntimeEvents. The CLI progress, `ocdw show`, the TUI and the
// control channel's snapshot all use this one reducer, so they can never disagree about counts or tokens.
import { z } from 'zod'
import { AgentStatusSchema, FINAL_RUN_STATUSES, RunStatusSchema, TokensSchema, ToolCallInfoSchema } from './schemas.js'
import type { AgentFinalStatus, AgentStatus, RuntimeEvent } from './types.js'
import { addTokens, zeroTokens } from './tokens.js'

const LogLineSchema = z.object({ at: z.number(), message: z.string(), level: z.enum(['info', 'warn', 'error']).optional() })

export const AgentViewSchema = z.object({
  key: z.string(),
  label: z.string(),
  phase: z.string(),
  prompt: z.string(),
  model: z.string().optional(),
  status: AgentStatusSchema,
  attempt: z.number(),
  sessionId: z.string().optional(),
  tokens: TokensSchema,
  cost: z.number(),
  cached: z.boolean(),
  /** When it was queued, last started and ended (ms since the epoch). */
  ...{ queuedAt: z.number(), startedAt: z.number().optional(), endedAt: z.number().optional() },
  error: z.string().optional(),
  preview: z.string().optional(),
  stalled: z.boolean().optional(),
  permission: z.object({ requestId: z.string(), permission: z.string(), patterns: z.array(z.string()) }).optional(),
  /** Most recent tool calls, newest last, at most MAX_TOOLS. */
  tools: z.array(ToolCallInfoSchema),
})
export type AgentView = z.infer<typeof AgentViewSchema>

export const PhaseViewSchema = z.object({
  title: z.string(),
  detail: z.string().optional(),
  counts: z.record(AgentStatusSchema, z.number()),
  tokens: TokensSchema,
  firstAt: z.number().optional(),
  lastAt: z.number().optional(),
})
export type PhaseView = z.infer<typeof PhaseViewSchema>

/** view.json, and the `view` a live run answers over its control channel. */
export const RunViewSchema = z.object({
  runId: z.string(),
  name: z.string(),
  description: z.string().optional(),
  status: RunStatusSchema,
  error: z.string().optional(),
  startedAt: z.number().optional(),
  endedAt: z.number().optional(),
  phases: z.array(PhaseViewSchema),
  /** Agents in the order they were queued. */
  agents: z.array(AgentViewSchema),
  log: z.array(LogLineSchema),
  result: z.unknown().optional(),
  tokens: TokensSchema,
  cost: z.number(),
  /** Agents that may run at once now, and whether that adapts to the models' answers or is pinned. */
  concurrency: z.object({ limit: z.number(), mode: z.enum(['adaptive', 'pinned']) }).optional(),
})
export type RunView = z.infer<typeof RunViewSchema>

/** A view read from a run dir or a socket (untrusted: a repository may ship a run dir), or undefined when it is not
 *  one (the readers then rebuild it from the journal). */
export function parseRunView(text: string): RunView | undefined {
  try {
    const checked = RunViewSchema.safeParse(JSON.parse(text))
    return checked.success ? checked.data : undefined
  } catch {
    return undefined
  }
}

export const MAX_TOOLS = 20
export const MAX_LOG = 500

const zeroCounts = (): Record<AgentStatus, number> => ({ queued: 0, running: 0, done: 0, failed: 0, stopped: 0, skipped: 0 })

export function emptyRunView(runId: string, name = runId): RunView {
  return { runId, name, status: 'running', phases: [], agents: [], log: [], tokens: zeroTokens(), cost: 0 }
}

type EventOf<T extends RuntimeEvent['type']> = Extract<RuntimeEvent, { type: T }>

/**
 * Folds one event into the view. Mutates and returns `view` (the TUI keeps one view per live run and applies
 * thousands of events; copying 1,000 agents per event would be quadratic). Index maps are kept off the object so
 * the view stays JSON-serialisable.
 */
export function applyEvent(view: RunView, ev: RuntimeEvent): RunView {
  const idx = indexOf(view)
  if (ev.type.startsWith('agent.')) applyAgentEvent(view, idx, ev)
  else applyRunEvent(view, idx, ev)
  return view
}

/** Events about the run as a whole: status, meta, phases, log, result, concurrency. */
function applyRunEvent(view: RunView, idx: Index, ev: RuntimeEvent): void {
  switch (ev.type) {
    case 'run.status':
      view.status = ev.status
      if (ev.error) view.error = ev.error
      if (ev.status === 'running' && view.startedAt === undefined) view.startedAt = ev.at
      view.endedAt = FINAL_RUN_STATUSES.includes(ev.status) ? ev.at : undefined
      break
    case 'run.meta':
      view.name = ev.name
      view.description = ev.description
      for (const p of ev.phases) ensurePhase(view, idx, p.title).detail = p.detail
      break
    case 'phase.started':
      ensurePhase(view, idx, ev.title)
      break
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
}

/** Events about one agent (an event for a key the view has not seen queued is ignored). */
function applyAgentEvent(view: RunView, idx: Index, ev: RuntimeEvent): void {
  if (ev.type === 'agent.queued') return agentQueued(view, idx, ev)
  const a = 'key' in ev ? idx.agents.get(ev.key) : undefined
  if (!a) return
  switch (ev.type) {
    case 'agent.started':
      a.attempt = ev.attempt
      a.startedAt = ev.at
      a.stalled = false
      moveStatus(view, idx, a, 'running')
      break
    case 'agent.session':
      a.sessionId = ev.sessionId
      break
    case 'agent.tool':
      agentTool(a, ev)
      break
    case 'agent.permission':
      a.permission = { requestId: ev.requestId, permission: ev.permission, patterns: ev.patterns }
      break
    case 'agent.permission.replied':
      if (a.permission?.requestId === ev.requestId) a.permission = undefined
      break
    case 'agent.stalled':
      a.stalled = true
      break
    case 'agent.finished':
      agentFinished(view, idx, a, ev)
      break
  }
}

function agentQueued(view: RunView, idx: Index, ev: EventOf<'agent.queued'>): void {
  const existing = idx.agents.get(ev.key)
  if (existing) {
    // Re-queued (restart): move its count back to queued.
    moveStatus(view, idx, existing, 'queued')
    existing.error = undefined
    existing.endedAt = undefined
    return
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
}

function agentTool(a: AgentView, ev: EventOf<'agent.tool'>): void {
  a.stalled = false
  const i = a.tools.findIndex((t) => t.id === ev.call.id)
  if (i >= 0) a.tools[i] = ev.call
  else {
    a.tools.push(ev.call)
    if (a.tools.length > MAX_TOOLS) a.tools.shift()
  }
}

function agentFinished(view: RunView, idx: Index, a: AgentView, ev: EventOf<'agent.finished'>): void {
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
