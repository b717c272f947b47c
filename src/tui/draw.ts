// One TUI frame as text: the header, body, status and help lines for the current screen, with blessed's {tags} for
// colour. Pure (the caller passes `now` and the terminal size), so a frame can be checked in a unit test. Drawing
// also reconciles the current screen's selection with what is on it now (rows come and go while a run runs), so it
// hands back the state it drew; the keys act on that. Every text that comes from a run goes through `esc`.
import type { RunView } from '../machines/run-view.js'
import { sanitizeForTerminal } from '../machines/sanitize.js'
import { bodyHeight, runListHeight, statusRows, textWidth, type Dims } from './layout.js'
import type { TuiState } from './state.js'
import {
  AGENT_COLUMNS,
  PHASE_COLUMNS,
  RUNS_COLUMNS,
  agentDetailLines,
  agentRows,
  clampScroll,
  fit,
  formatCells,
  helpText,
  isActiveRun,
  layoutColumns,
  phaseAgents,
  phaseKeys,
  reconcileSelection,
  runHeader,
  runRows,
  runsKeys,
  runsRows,
  type Column,
  type Row,
  type RowSlice,
  type Selection,
} from './view-model.js'

/** What the four blessed boxes show, and how tall the two that change height are. */
export interface Frame {
  header: string
  body: string
  status: string
  help: string
  bodyHeight: number
  statusRows: number
}

const STATUS_COLOR: Record<string, string> = {
  running: 'yellow',
  queued: 'cyan',
  done: 'green',
  cached: 'green',
  completed: 'green',
  failed: 'red',
  stalled: 'red',
  'perm?': 'magenta',
  stopped: 'gray',
  skipped: 'gray',
  interrupted: 'gray',
  paused: 'magenta',
}

/** A screen's title and body lines, and the state with its selection reconciled. */
type Drawn = [title: string, lines: string[], state: TuiState]

export function drawFrame(s: TuiState, d: Dims, now: number): { state: TuiState; frame: Frame } {
  const w = textWidth(d)
  let drawn: Drawn
  if (s.screen === 'runs') drawn = drawRuns(s, d, now, w)
  else if (!s.view) drawn = ['ocdw › run', [s.viewError ? `{red-fg}${esc(s.viewError)}{/red-fg}` : 'Loading the run…'], s]
  else if (s.screen === 'run') drawn = drawRun(s, s.view, d, now, w)
  else if (s.screen === 'phase') drawn = drawPhase(s, s.view, d, now, w)
  else drawn = drawAgent(s, s.view, d, now, w)
  const [title, lines, state] = drawn
  const frame: Frame = {
    header: esc(fit(title, w)),
    body: lines.join('\n'),
    status: statusLine(state, w),
    help: esc(fit(helpText(state.screen), w)),
    bodyHeight: bodyHeight(state, d),
    statusRows: statusRows(state, d),
  }
  return { state, frame }
}

function drawRuns(s: TuiState, d: Dims, now: number, w: number): Drawn {
  const h = bodyHeight(s, d) - 1
  if (!s.runsLoaded) return ['ocdw › runs', ['Reading the runs…'], s]
  if (s.runs.length === 0) return ['ocdw › runs', ['No runs in this project yet; start one with `ocdw run` (or /workflow in OpenCode).'], s]
  const runsSel = reconcileSelection(runsKeys(s.runs), s.runsSel, h)
  const slice = runsRows(s.runs, now, { offset: runsSel.offset, height: h })
  const active = s.runs.filter(isActiveRun).length
  const title = `ocdw › runs  ${s.runs.length} run${s.runs.length === 1 ? '' : 's'}, ${active} running`
  return [title, drawTable(RUNS_COLUMNS, slice, runsSel, w, 1), { ...s, runsSel }]
}

function drawRun(s: TuiState, view: RunView, d: Dims, now: number, w: number): Drawn {
  const h = runListHeight(s, d)
  const phaseSel = reconcileSelection(phaseKeys(view), s.phaseSel, h)
  const logLines = Math.max(1, bodyHeight(s, d) - 1 - h - 2)
  const slice = runRows(view, now, logLines, { offset: phaseSel.offset, height: h })
  const lines = view.phases.length ? drawTable(PHASE_COLUMNS, slice, phaseSel, w, -1) : ['{bold}PHASES{/bold}', 'No agents yet.']
  while (lines.length < h + 1) lines.push('')
  lines.push(`{bold}${esc(fit(`LOG${view.description ? ` — ${view.description}` : ''}`, w))}{/bold}`)
  for (const l of slice.log) lines.push(esc(fit(l, w)))
  if (!slice.log.length) lines.push('(no log lines)')
  return [`ocdw › ${runHeader(view, now)}`, lines, { ...s, phaseSel }]
}

function drawPhase(s: TuiState, view: RunView, d: Dims, now: number, w: number): Drawn {
  const h = bodyHeight(s, d) - 1
  const agents = phaseAgents(view, s.phaseTitle ?? '', s.filter)
  const agentSel = reconcileSelection(
    agents.map((a) => a.key),
    s.agentSel,
    h,
  )
  const slice = agentRows(agents, now, { offset: agentSel.offset, height: h })
  const range = agents.length ? `${slice.offset + 1}-${slice.offset + slice.rows.length} of ${agents.length}` : '0'
  const title = `ocdw › ${view.name} › ${s.phaseTitle || '(no phase)'}  [${view.status}]  agents ${range}  filter: ${s.filter}`
  const lines = agents.length
    ? drawTable(AGENT_COLUMNS, slice, agentSel, w, 1)
    : [s.filter === 'all' ? 'No agents in this phase yet.' : `No ${s.filter} agents in this phase; press f to change the filter.`]
  return [title, lines, { ...s, agentSel }]
}

function drawAgent(s: TuiState, view: RunView, d: Dims, now: number, w: number): Drawn {
  const agent = view.agents.find((a) => a.key === s.agentKey)
  const title = `ocdw › ${view.name} › ${s.phaseTitle || '(no phase)'} › ${agent?.label ?? s.agentKey}`
  if (!agent) return [title, ['This agent is not in the run view (anymore).'], s]
  const all = agentDetailLines(agent, w, now)
  const h = bodyHeight(s, d)
  const detailScroll = clampScroll(s.detailScroll, all.length, h)
  const lines = all.slice(detailScroll, detailScroll + h).map((l) => esc(fit(l, w)))
  const range = all.length > h ? `  (${detailScroll + 1}-${Math.min(all.length, detailScroll + h)}/${all.length})` : ''
  return [`${title}${range}`, lines, { ...s, detailScroll, detailLines: all.length }]
}

function drawTable(cols: Column[], slice: RowSlice, sel: Selection, w: number, statusCol: number): string[] {
  const widths = layoutColumns(cols, w)
  const out = [`{bold}${esc(formatCells(cols.map((c) => c.title), cols, widths))}{/bold}`]
  slice.rows.forEach((row, i) => out.push(drawRow(row, cols, widths, slice.offset + i === sel.index, statusCol)))
  return out
}

function drawRow(row: Row, cols: Column[], widths: number[], selected: boolean, statusCol: number): string {
  if (selected) return `{inverse}${esc(formatCells(row.cells, cols, widths))}{/inverse}`
  return row.cells
    .map((c, i) => {
      const text = esc(fit(c, widths[i] ?? 0, cols[i]?.align))
      const color = i === statusCol ? STATUS_COLOR[c] : undefined
      return color ? `{${color}-fg}${text}{/${color}-fg}` : text
    })
    .join(' ')
}

function statusLine(s: TuiState, w: number): string {
  const m = s.mode
  if (m.kind === 'confirm') return `{yellow-fg}${esc(fit(m.text, w))}{/yellow-fg}`
  if (m.kind === 'save') {
    const text = `Save as workflow: ${m.name}_  [${m.personal ? 'personal' : 'project'}]  Tab switch  ⏎ save  Esc cancel`
    return `{yellow-fg}${esc(fit(text, w))}{/yellow-fg}`
  }
  if (!s.message) return ''
  const t = s.message.text
  const text = t.length > w ? [fit(t.slice(0, w), w), fit(t.slice(w), w)].join('\n') : fit(t, w)
  return s.message.error ? `{red-fg}${esc(text)}{/red-fg}` : esc(text)
}

/** Escapes blessed tags in text that comes from runs (labels, prompts, tool inputs), after stripping terminal
 *  control sequences. */
export function esc(text: string): string {
  return sanitizeForTerminal(text).replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'))
}
