// The TUI's view model: pure functions from run state (RunView, run list items) to the rows and lines the blessed
// screens draw. No blessed, no clock (callers pass `now`), no I/O, so it is unit-tested on its own and one frame with
// 1,000 agents stays cheap: row builders take a window (offset, height) and only format the rows that are visible.
import { fmtElapsed, fmtTokens } from '../machines/format.js'
import type { AgentView, PhaseView, RunView } from '../machines/run-view.js'
import { totalTokens } from '../machines/tokens.js'
import type { AgentStatus, ToolCallInfo } from '../machines/types.js'
import { sanitizeForTerminal, sanitizeLine } from '../machines/sanitize.js'

export type Screen = 'runs' | 'run' | 'phase' | 'agent'

/** One run in the runs list, as a TuiSource reports it (from run.json, overlaid by a live view when there is one). */
export interface RunListItem {
  dir: string
  id: string
  name: string
  /** RunStatus, or `interrupted` for a run whose process died while running. */
  status: string
  live: boolean
  startedAt: number
  endedAt?: number
  /** Time the run has run (src/machines/run-facts.ts: what `ocdw ls` and `ocdw show` print). */
  elapsedMs?: number
  agents: { done: number; total: number }
  tokens: number
}

/** A table row: `key` stays stable across updates (run dir, phase title, agent key), `cells` are display strings. */
export interface Row {
  key: string
  cells: string[]
  status: string
}

export interface Window {
  offset: number
  height: number
}

/** The visible slice of a list: `total` rows exist, `rows` are those from `offset`. */
export interface RowSlice {
  total: number
  offset: number
  rows: Row[]
}

export interface Column {
  title: string
  /** Fixed width; a column without one shares what is left. */
  width?: number
  align?: 'left' | 'right'
}

export const RUNS_COLUMNS: Column[] = [
  { title: 'RUN' },
  { title: 'STATUS', width: 11 },
  { title: 'AGENTS', width: 11, align: 'right' },
  { title: 'TOKENS', width: 7, align: 'right' },
  { title: 'ELAPSED', width: 8, align: 'right' },
]

export const PHASE_COLUMNS: Column[] = [
  { title: 'PHASE' },
  { title: 'RUN', width: 4, align: 'right' },
  { title: 'QUE', width: 4, align: 'right' },
  { title: 'DONE', width: 5, align: 'right' },
  { title: 'FAIL', width: 4, align: 'right' },
  { title: 'STOP', width: 4, align: 'right' },
  { title: 'TOKENS', width: 7, align: 'right' },
  { title: 'ELAPSED', width: 8, align: 'right' },
]

export const AGENT_COLUMNS: Column[] = [
  { title: 'AGENT' },
  { title: 'STATUS', width: 8 },
  { title: 'TOKENS', width: 7, align: 'right' },
  { title: 'ELAPSED', width: 8, align: 'right' },
  { title: 'LAST TOOL' },
]

const FINAL_RUN = new Set(['completed', 'failed', 'stopped', 'denied', 'interrupted'])
const ACTIVE_RUN = new Set(['planning', 'awaitingApproval', 'running', 'paused'])

/** A run status nothing more will happen to (nothing to pause, resume or stop; its clock has stopped). */
export function isFinalRunStatus(status: string): boolean {
  return FINAL_RUN.has(status)
}

export function isActiveRun(item: Pick<RunListItem, 'status' | 'live'>): boolean {
  return item.live && ACTIVE_RUN.has(item.status)
}

// ---- runs screen ----

/** Running (live) runs first, then the rest; newest first within each group. */
export function sortRuns(runs: RunListItem[]): RunListItem[] {
  return [...runs].sort((a, b) => {
    const ra = isActiveRun(a) ? 0 : 1
    const rb = isActiveRun(b) ? 0 : 1
    return ra - rb || b.startedAt - a.startedAt || (a.id < b.id ? 1 : -1)
  })
}

export function runsRows(runs: RunListItem[], now: number, win?: Window): RowSlice {
  const sorted = sortRuns(runs)
  return slice(sorted, win, (r) => {
    const end = r.endedAt ?? (isActiveRun(r) ? now : undefined)
    return {
      key: r.dir,
      status: r.status,
      cells: [
        r.name === r.id ? r.id : `${r.name}  ${r.id}`,
        r.status,
        `${r.agents.done}/${r.agents.total}`,
        fmtTokens(r.tokens),
        r.elapsedMs !== undefined ? fmtElapsed(r.elapsedMs) : end === undefined ? '-' : fmtElapsed(end - r.startedAt),
      ],
    }
  })
}

export function runsKeys(runs: RunListItem[]): string[] {
  return sortRuns(runs).map((r) => r.dir)
}

// ---- run screen (phases + log tail) ----

export function runElapsed(view: RunView, now: number): number | undefined {
  if (view.startedAt === undefined) return undefined
  return (view.endedAt ?? (FINAL_RUN.has(view.status) ? view.startedAt : now)) - view.startedAt
}

export function phaseElapsed(phase: PhaseView, view: RunView, now: number): number | undefined {
  if (phase.firstAt === undefined) return undefined
  const busy = phase.counts.running + phase.counts.queued > 0 && !FINAL_RUN.has(view.status)
  const end = busy ? now : (phase.lastAt ?? view.endedAt ?? now)
  return Math.max(0, end - phase.firstAt)
}

export function runHeader(view: RunView, now: number): string {
  const total = view.agents.length
  const done = view.agents.filter((a) => a.status === 'done').length
  const el = runElapsed(view, now)
  // The run's concurrency limit while it runs (adaptive ones move with the models' rate limits).
  const c = view.concurrency && (view.status === 'running' || view.status === 'paused') ? `  concurrency ${view.concurrency.limit} (${view.concurrency.mode})` : ''
  return `${view.name} (${view.runId})  ${view.status}  ${done}/${total} agents  ${fmtTokens(totalTokens(view.tokens))} tok  ${el === undefined ? '-' : fmtElapsed(el)}${c}`
}

export function runRows(view: RunView, now: number, logLines = 5, win?: Window): RowSlice & { log: string[] } {
  const s = slice(view.phases, win, (p) => ({
    key: p.title,
    status: p.counts.running > 0 ? 'running' : p.counts.failed > 0 ? 'failed' : p.counts.queued > 0 ? 'queued' : 'done',
    cells: [
      p.title || '(no phase)',
      String(p.counts.running),
      String(p.counts.queued),
      String(p.counts.done),
      String(p.counts.failed),
      String(p.counts.stopped + p.counts.skipped),
      fmtTokens(totalTokens(p.tokens)),
      fmtOrDash(phaseElapsed(p, view, now)),
    ],
  }))
  return { ...s, log: logTail(view, logLines) }
}

export function phaseKeys(view: RunView): string[] {
  return view.phases.map((p) => p.title)
}

export function logTail(view: RunView, n: number): string[] {
  if (n <= 0) return []
  const tail = view.log.slice(-n).map((l) => `${clock(l.at)} ${l.level && l.level !== 'info' ? `${l.level}: ` : ''}${oneLine(l.message)}`)
  if (view.error && view.status === 'failed') tail.push(`error: ${oneLine(view.error)}`)
  return tail.slice(-n)
}

// ---- phase screen (agents) ----

export type StatusFilter = 'all' | 'running' | 'failed' | 'done' | 'stopped'
const FILTER_CYCLE: StatusFilter[] = ['all', 'running', 'failed', 'done', 'stopped']

export function nextFilter(f: StatusFilter): StatusFilter {
  return FILTER_CYCLE[(FILTER_CYCLE.indexOf(f) + 1) % FILTER_CYCLE.length]!
}

export function matchesFilter(status: AgentStatus, f: StatusFilter): boolean {
  return f === 'all' || status === f
}

/** The agents of one phase that pass the filter, in queue order (one O(n) pass, no formatting). */
export function phaseAgents(view: RunView, phaseTitle: string, filter: StatusFilter): AgentView[] {
  const out: AgentView[] = []
  for (const a of view.agents) if (a.phase === phaseTitle && matchesFilter(a.status, filter)) out.push(a)
  return out
}

export function agentElapsed(a: AgentView, now: number): number | undefined {
  // A restarted agent is queued again with its old startedAt: it has no elapsed time until it starts anew.
  if (a.startedAt === undefined || a.status === 'queued') return undefined
  return Math.max(0, (a.endedAt ?? (a.status === 'running' ? now : a.startedAt)) - a.startedAt)
}

export function agentStatusLabel(a: AgentView): string {
  if (a.permission) return 'perm?'
  if (a.stalled && a.status === 'running') return 'stalled'
  return a.cached && a.status === 'done' ? 'cached' : a.status
}

export function lastTool(a: AgentView): string {
  const t = a.tools[a.tools.length - 1]
  if (!t) return a.status === 'failed' && a.error ? oneLine(a.error) : ''
  return `${t.tool}${t.title ? ` ${oneLine(t.title)}` : t.input ? ` ${oneLine(t.input)}` : ''}`
}

export function phaseRows(view: RunView, phaseTitle: string, filter: StatusFilter, now: number, win?: Window): RowSlice {
  return agentRows(phaseAgents(view, phaseTitle, filter), now, win)
}

/** Rows for an already filtered agent list (the app filters once per frame and reuses it for selection). */
export function agentRows(agents: AgentView[], now: number, win?: Window): RowSlice {
  return slice(agents, win, (a) => ({
    key: a.key,
    status: a.status,
    cells: [
      a.label || a.key,
      agentStatusLabel(a),
      fmtTokens(totalTokens(a.tokens)),
      fmtOrDash(agentElapsed(a, now)),
      lastTool(a),
    ],
  }))
}

// ---- agent detail ----

export function agentDetailLines(agent: AgentView, width = 80, now?: number): string[] {
  const w = Math.max(20, width)
  const out: string[] = []
  const el = now === undefined ? undefined : agentElapsed(agent, now)
  out.push(`${agent.label || agent.key}  [${agentStatusLabel(agent)}]${agent.attempt > 1 ? `  attempt ${agent.attempt}` : ''}`)
  out.push(
    `key ${agent.key}  phase ${agent.phase || '-'}  tokens ${fmtTokens(totalTokens(agent.tokens))}` +
      (el !== undefined ? `  elapsed ${fmtElapsed(el)}` : '') +
      (agent.cost ? `  cost $${agent.cost.toFixed(4)}` : ''),
  )
  if (agent.model || agent.sessionId) out.push(`${agent.model ? `model ${agent.model}  ` : ''}${agent.sessionId ? `session ${agent.sessionId}` : ''}`.trim())
  if (agent.permission) {
    out.push(`Waiting for permission: ${agent.permission.permission} ${agent.permission.patterns.join(' ')}`)
  }
  out.push('')
  out.push('Prompt:')
  for (const l of wrap(agent.prompt || '(not recorded)', w - 2)) out.push(`  ${l}`)
  out.push('')
  const busy = agent.status === 'running' || agent.status === 'queued'
  out.push(agent.tools.length ? `Tool calls (${agent.tools.length} most recent, newest last):` : `Tool calls: none${busy ? ' yet' : ''}`)
  for (const t of agent.tools) {
    out.push(`  ${toolMark(t)} ${t.tool}${t.title ? `  ${oneLine(t.title)}` : ''}`.slice(0, w))
    if (t.input) for (const l of wrap(`input: ${t.input}`, w - 6).slice(0, 4)) out.push(`      ${l}`)
  }
  out.push('')
  if (agent.error) {
    out.push('Error:')
    for (const l of wrap(agent.error, w - 2)) out.push(`  ${l}`)
  } else if (agent.preview !== undefined) {
    out.push('Result (preview):')
    for (const l of wrap(agent.preview, w - 2)) out.push(`  ${l}`)
  } else {
    out.push(busy ? 'Result: not yet' : 'Result: none')
  }
  return out
}

function toolMark(t: ToolCallInfo): string {
  return t.status === 'completed' ? '✓' : t.status === 'error' ? '✗' : '…'
}

// ---- selection ----

/** What is selected in a list: `key` is the truth, `index` follows it, `offset` is the first visible row. */
export interface Selection {
  key?: string
  index: number
  offset: number
}

export const NO_SELECTION: Selection = { index: 0, offset: 0 }

/**
 * Re-resolves a selection against the current keys: the same key stays selected wherever it moved; when it is gone
 * the selection stays at the same index (clamped). The offset scrolls just enough to keep the selection visible.
 */
export function reconcileSelection(keys: readonly string[], sel: Selection, height: number): Selection {
  if (keys.length === 0) return { key: undefined, index: 0, offset: 0 }
  let index = sel.key !== undefined ? keys.indexOf(sel.key) : -1
  if (index < 0) index = Math.min(Math.max(0, sel.index), keys.length - 1)
  return { key: keys[index], index, offset: scrollTo(index, sel.offset, height, keys.length) }
}

export function moveSelection(keys: readonly string[], sel: Selection, delta: number, height: number): Selection {
  const cur = reconcileSelection(keys, sel, height)
  if (keys.length === 0) return cur
  const index = Math.min(Math.max(0, cur.index + delta), keys.length - 1)
  return { key: keys[index], index, offset: scrollTo(index, cur.offset, height, keys.length) }
}

function scrollTo(index: number, offset: number, height: number, total: number): number {
  const h = Math.max(1, height)
  let o = Math.min(Math.max(0, offset), Math.max(0, total - h))
  if (index < o) o = index
  if (index >= o + h) o = index - h + 1
  return o
}

/** Scroll offset for a block of text (agent detail), clamped so the last page stays full. */
export function clampScroll(offset: number, lines: number, height: number): number {
  return Math.min(Math.max(0, offset), Math.max(0, lines - height))
}

// ---- help bar ----

export function helpText(screen: Screen): string {
  switch (screen) {
    case 'runs':
      return '↑↓ select  ⏎/→ open  p pause/resume  x stop run  s save  q quit'
    case 'run':
      return '↑↓ select  ⏎/→ phase  ← back  p pause/resume  x stop run  s save  q quit'
    case 'phase':
      return '↑↓ ⏎/→ agent  ← back  x stop  r restart  f filter  p pause  s save  q quit'
    case 'agent':
      return 'j/k scroll  ← back  x stop agent  r restart  p pause/resume  s save  q quit'
  }
}

// ---- table layout ----

/** Column widths that fill `width` (one space between columns); flexible columns share the rest. */
export function layoutColumns(cols: Column[], width: number): number[] {
  const fixed = cols.reduce((s, c) => s + (c.width ?? 0), 0) + (cols.length - 1)
  const flex = cols.filter((c) => c.width === undefined).length
  const rest = Math.max(flex * 4, width - fixed)
  const each = flex ? Math.floor(rest / flex) : 0
  let extra = flex ? rest - each * flex : 0
  return cols.map((c) => {
    if (c.width !== undefined) return c.width
    const w = each + extra
    extra = 0
    return w
  })
}

export function formatCells(cells: string[], cols: Column[], widths: number[]): string {
  return cells.map((c, i) => fit(c, widths[i] ?? 0, cols[i]?.align ?? 'left')).join(' ')
}

export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return ''
  const t = sanitizeLine(text).replace(/[\r\n\t\v\f]+/g, ' ')
  if (t.length > width) return width === 1 ? '…' : t.slice(0, width - 1) + '…'
  return align === 'right' ? t.padStart(width) : t.padEnd(width)
}

// ---- helpers ----

function slice<T>(items: readonly T[], win: Window | undefined, row: (item: T) => Row): RowSlice {
  const offset = win ? Math.min(Math.max(0, win.offset), Math.max(0, items.length - 1)) : 0
  const end = win ? Math.min(items.length, offset + Math.max(0, win.height)) : items.length
  const rows: Row[] = []
  for (let i = offset; i < end; i++) rows.push(row(items[i]!))
  return { total: items.length, offset, rows }
}

function fmtOrDash(ms: number | undefined): string {
  return ms === undefined ? '-' : fmtElapsed(ms)
}

function oneLine(s: string): string {
  return s.replace(/[\r\n\t\v\f]+/g, ' ').trim()
}

function clock(at: number): string {
  const d = new Date(at)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`
}

/** Hard-wraps text to `width` columns, keeping the text's own line breaks. */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(10, width)
  const out: string[] = []
  for (const raw of sanitizeForTerminal(text).replace(/\t/g, '  ').split('\n')) {
    let line = raw.trimEnd()
    if (!line) {
      out.push('')
      continue
    }
    while (line.length > w) {
      let cut = line.lastIndexOf(' ', w)
      if (cut < w / 2) cut = w
      out.push(line.slice(0, cut).trimEnd())
      line = line.slice(cut).trimStart()
    }
    out.push(line)
  }
  return out
}
