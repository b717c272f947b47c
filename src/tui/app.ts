// The `ocdw ui` application: blessed screens runs -> run (phases) -> phase (agents) -> agent detail, drawn from the
// pure view model (./view-model.ts) and fed by a TuiSource. Keys only send ControlCommands through source.control;
// the TUI never changes run state itself. Renders are coalesced to at most ~10 per second, and only visible rows are
// formatted, so a phase with 1,000 agents stays smooth.
import { restartRefusal } from '../machines/agent-ref.js'
import blessed from 'blessed'
import type { RunView } from '../machines/run-view.js'
import type { ControlCommand } from '../machines/types.js'
import { sanitizeForTerminal } from '../machines/sanitize.js'
import type { TuiSource } from './source.js'
import {
  AGENT_COLUMNS,
  PHASE_COLUMNS,
  RUNS_COLUMNS,
  NO_SELECTION,
  agentDetailLines,
  agentRows,
  clampScroll,
  fit,
  formatCells,
  helpText,
  isActiveRun,
  layoutColumns,
  moveSelection,
  nextFilter,
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
  type RunListItem,
  type Screen,
  type Selection,
  type StatusFilter,
} from './view-model.js'

export interface TuiHandle {
  /** Closes the TUI (restores the terminal); resolves when it is closed. */
  close(): Promise<void>
  /** Resolves when the TUI closed, by `q` or by close(). */
  closed: Promise<void>
}

type Mode =
  | { kind: 'normal' }
  | { kind: 'confirm'; text: string; command: ControlCommand; dir: string }
  | { kind: 'save'; dir: string; name: string; personal: boolean }

const MIN_FRAME_MS = 100
const RUNS_POLL_MS = 2000
const TICK_MS = 1000
const FINAL = new Set(['completed', 'failed', 'stopped', 'denied', 'interrupted'])

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

export function startTui(opts: { source: TuiSource; screen?: blessed.Widgets.Screen }): TuiHandle {
  const { source } = opts
  const ownScreen = !opts.screen
  const screen =
    opts.screen ?? blessed.screen({ smartCSR: true, title: 'ocdw', warnings: false, autoPadding: false, fullUnicode: false })

  const header = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: 1, tags: true, style: { bg: 'blue', fg: 'white' } })
  const body = blessed.box({ parent: screen, top: 1, left: 0, width: '100%', height: '100%-3', tags: true })
  const status = blessed.box({ parent: screen, bottom: 1, left: 0, width: '100%', height: 1, tags: true })
  const help = blessed.box({ parent: screen, bottom: 0, left: 0, width: '100%', height: 1, tags: true, style: { bg: 'black', fg: 'white' } })

  const s = {
    screen: 'runs' as Screen,
    runs: [] as RunListItem[],
    runsLoaded: false,
    runsSel: NO_SELECTION as Selection,
    runDir: undefined as string | undefined,
    view: undefined as RunView | undefined,
    viewError: undefined as string | undefined,
    phaseSel: NO_SELECTION as Selection,
    phaseTitle: undefined as string | undefined,
    agentSel: NO_SELECTION as Selection,
    filter: 'all' as StatusFilter,
    agentKey: undefined as string | undefined,
    detailScroll: 0,
    detailLines: 0,
    mode: { kind: 'normal' } as Mode,
    message: undefined as { text: string; error: boolean } | undefined,
  }

  let unwatch: (() => void) | undefined
  let pending: NodeJS.Timeout | undefined
  let lastRender = 0
  let closed = false
  let resolveClosed!: () => void
  const closedPromise = new Promise<void>((r) => (resolveClosed = r))

  // ---- rendering ----

  // One column less than the screen: blessed wraps a line that fills the width and ends in a closing tag.
  const width = () => Math.max(20, (Number(screen.width) || 80) - 1)
  /** The status line grows to two rows while a message does not fit in one (errors are full sentences). */
  const statusRows = () => (s.mode.kind === 'normal' && s.message && s.message.text.length > width() ? 2 : 1)
  const bodyHeight = () => Math.max(3, (Number(screen.height) || 24) - 2 - statusRows())
  /** Rows of the list on the current screen (the body minus its column header, and minus the log on the run screen). */
  const listHeight = () => (s.screen === 'run' ? runListHeight() : bodyHeight() - 1)
  const runListHeight = () => {
    const h = bodyHeight() - 1
    const phases = s.view?.phases.length ?? 0
    return Math.max(1, Math.min(Math.max(phases, 1), h - 4))
  }

  function requestRender(): void {
    if (closed || pending) return
    const wait = Math.max(0, lastRender + MIN_FRAME_MS - Date.now())
    pending = setTimeout(() => {
      pending = undefined
      render()
    }, wait)
  }

  function render(): void {
    if (closed) return
    if (pending) {
      clearTimeout(pending)
      pending = undefined
    }
    lastRender = Date.now()
    const now = source.now()
    const w = width()
    let title = ''
    let lines: string[] = []
    if (s.screen === 'runs') [title, lines] = drawRuns(now, w)
    else if (!s.view) {
      title = 'ocdw › run'
      lines = [s.viewError ? `{red-fg}${esc(s.viewError)}{/red-fg}` : 'Loading the run…']
    } else if (s.screen === 'run') [title, lines] = drawRun(s.view, now, w)
    else if (s.screen === 'phase') [title, lines] = drawPhase(s.view, now, w)
    else [title, lines] = drawAgent(s.view, now, w)
    const rows = statusRows()
    body.height = bodyHeight()
    status.height = rows
    header.setContent(esc(fit(title, w)))
    body.setContent(lines.join('\n'))
    status.setContent(statusLine(w))
    help.setContent(esc(fit(helpText(s.screen), w)))
    screen.render()
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

  function drawRuns(now: number, w: number): [string, string[]] {
    const h = bodyHeight() - 1
    if (!s.runsLoaded) return ['ocdw › runs', ['Reading the runs…']]
    if (s.runs.length === 0) return ['ocdw › runs', ['No runs in this project yet; start one with `ocdw run` (or /workflow in OpenCode).']]
    s.runsSel = reconcileSelection(runsKeys(s.runs), s.runsSel, h)
    const slice = runsRows(s.runs, now, { offset: s.runsSel.offset, height: h })
    const active = s.runs.filter(isActiveRun).length
    return [`ocdw › runs  ${s.runs.length} run${s.runs.length === 1 ? '' : 's'}, ${active} running`, drawTable(RUNS_COLUMNS, slice, s.runsSel, w, 1)]
  }

  function drawRun(view: RunView, now: number, w: number): [string, string[]] {
    const h = runListHeight()
    s.phaseSel = reconcileSelection(phaseKeys(view), s.phaseSel, h)
    const logLines = Math.max(1, bodyHeight() - 1 - h - 2)
    const slice = runRows(view, now, logLines, { offset: s.phaseSel.offset, height: h })
    const lines = view.phases.length ? drawTable(PHASE_COLUMNS, slice, s.phaseSel, w, -1) : ['{bold}PHASES{/bold}', 'No agents yet.']
    while (lines.length < h + 1) lines.push('')
    lines.push(`{bold}${esc(fit(`LOG${view.description ? ` — ${view.description}` : ''}`, w))}{/bold}`)
    for (const l of slice.log) lines.push(esc(fit(l, w)))
    if (!slice.log.length) lines.push('(no log lines)')
    return [`ocdw › ${runHeader(view, now)}`, lines]
  }

  function drawPhase(view: RunView, now: number, w: number): [string, string[]] {
    const h = bodyHeight() - 1
    const agents = phaseAgents(view, s.phaseTitle ?? '', s.filter)
    s.agentSel = reconcileSelection(
      agents.map((a) => a.key),
      s.agentSel,
      h,
    )
    const slice = agentRows(agents, now, { offset: s.agentSel.offset, height: h })
    const range = agents.length ? `${slice.offset + 1}-${slice.offset + slice.rows.length} of ${agents.length}` : '0'
    const title = `ocdw › ${view.name} › ${s.phaseTitle || '(no phase)'}  [${view.status}]  agents ${range}  filter: ${s.filter}`
    const lines = agents.length
      ? drawTable(AGENT_COLUMNS, slice, s.agentSel, w, 1)
      : [s.filter === 'all' ? 'No agents in this phase yet.' : `No ${s.filter} agents in this phase; press f to change the filter.`]
    return [title, lines]
  }

  function drawAgent(view: RunView, now: number, w: number): [string, string[]] {
    const agent = view.agents.find((a) => a.key === s.agentKey)
    const title = `ocdw › ${view.name} › ${s.phaseTitle || '(no phase)'} › ${agent?.label ?? s.agentKey}`
    if (!agent) return [title, ['This agent is not in the run view (anymore).']]
    const all = agentDetailLines(agent, w, now)
    const h = bodyHeight()
    s.detailLines = all.length
    s.detailScroll = clampScroll(s.detailScroll, all.length, h)
    const lines = all.slice(s.detailScroll, s.detailScroll + h).map((l) => esc(fit(l, w)))
    return [`${title}${all.length > h ? `  (${s.detailScroll + 1}-${Math.min(all.length, s.detailScroll + h)}/${all.length})` : ''}`, lines]
  }

  function statusLine(w: number): string {
    const m = s.mode
    if (m.kind === 'confirm') return `{yellow-fg}${esc(fit(m.text, w))}{/yellow-fg}`
    if (m.kind === 'save') {
      const text = `Save as workflow: ${m.name}_  [${m.personal ? 'personal' : 'project'}]  Tab switch  ⏎ save  Esc cancel`
      return `{yellow-fg}${esc(fit(text, w))}{/yellow-fg}`
    }
    if (s.message) {
      const text = s.message.text.length > w ? [fit(s.message.text.slice(0, w), w), fit(s.message.text.slice(w), w)].join('\n') : fit(s.message.text, w)
      return s.message.error ? `{red-fg}${esc(text)}{/red-fg}` : esc(text)
    }
    return ''
  }

  // ---- data ----

  async function pollRuns(): Promise<void> {
    try {
      s.runs = await source.listRuns()
      s.runsLoaded = true
    } catch (err) {
      s.message = { text: `Could not read the runs: ${(err as Error).message}`, error: true }
    }
    requestRender()
  }

  function openRun(dir: string): void {
    unwatch?.()
    s.runDir = dir
    s.view = undefined
    s.viewError = undefined
    s.phaseSel = NO_SELECTION
    unwatch = source.watchRun(
      dir,
      (view) => {
        if (s.runDir !== dir) return
        s.view = view
        s.viewError = undefined
        requestRender()
      },
      (message) => {
        if (s.runDir !== dir) return
        s.viewError = message
        requestRender()
      },
    )
  }

  function closeRun(): void {
    unwatch?.()
    unwatch = undefined
    s.runDir = undefined
    s.view = undefined
  }

  // ---- commands ----

  function say(text: string, error = false): void {
    s.message = { text, error }
  }

  function send(dir: string, command: ControlCommand, what: string): void {
    say(`Sending ${command.type}${what ? ` (${what})` : ''}…`)
    source.control(dir, command).then(
      () => {
        say(`Sent ${command.type}${what ? ` (${what})` : ''}.`)
        requestRender()
      },
      (err: Error) => {
        say(err.message, true)
        requestRender()
      },
    )
  }

  /** The run the keys act on: the selected one on the runs screen, else the open one. */
  function currentRun(): { dir: string; name: string; status: string } | undefined {
    if (s.screen === 'runs') {
      const item = s.runs.find((r) => r.dir === s.runsSel.key)
      return item && { dir: item.dir, name: item.name, status: item.status }
    }
    if (!s.runDir) return undefined
    const item = s.runs.find((r) => r.dir === s.runDir)
    return { dir: s.runDir, name: s.view?.name ?? item?.name ?? s.runDir, status: s.view?.status ?? item?.status ?? 'unknown' }
  }

  /** The agent the keys act on: the selected one on the phase screen, the shown one in the detail. */
  function currentAgent(): { key: string; label: string } | undefined {
    const key = s.screen === 'phase' ? s.agentSel.key : s.screen === 'agent' ? s.agentKey : undefined
    if (!key) return undefined
    const a = s.view?.agents.find((x) => x.key === key)
    return { key, label: a?.label ?? key }
  }

  function pauseResume(): void {
    const run = currentRun()
    if (!run) return say('Select a run first.', true)
    if (FINAL.has(run.status)) return say(`Run ${run.name} is ${run.status}; there is nothing to pause or resume.`, true)
    send(run.dir, { type: run.status === 'paused' ? 'RESUME' : 'PAUSE' }, run.name)
  }

  function stop(): void {
    if (s.screen === 'phase' || s.screen === 'agent') {
      const agent = currentAgent()
      if (!agent || !s.runDir) return say('Select an agent first.', true)
      return send(s.runDir, { type: 'STOP_AGENT', key: agent.key }, agent.label)
    }
    const run = currentRun()
    if (!run) return say('Select a run first.', true)
    if (FINAL.has(run.status)) return say(`Run ${run.name} is ${run.status} already; there is nothing to stop.`, true)
    s.mode = { kind: 'confirm', text: `Stop the whole run ${run.name}? (y/n)`, command: { type: 'STOP' }, dir: run.dir }
  }

  function restart(): void {
    const agent = currentAgent()
    if (!agent || !s.runDir) return say('Select an agent to restart (open a phase first).', true)
    // A settled agent's answer is already the script's: say so instead of pretending (the run refuses it too).
    const refusal = s.view && restartRefusal(s.view, agent.key)
    if (refusal) return say(refusal, true)
    send(s.runDir, { type: 'RESTART_AGENT', key: agent.key }, agent.label)
  }

  function startSave(): void {
    const run = currentRun()
    if (!run) return say('Select a run first.', true)
    const name = run.name.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64) || 'workflow'
    s.mode = { kind: 'save', dir: run.dir, name, personal: false }
  }

  function finishSave(m: Extract<Mode, { kind: 'save' }>): void {
    s.mode = { kind: 'normal' }
    if (!m.name) return say('Give the workflow a name to save it.', true)
    say(`Saving ${m.name}…`)
    source.save(m.dir, m.name, m.personal).then(
      (text) => {
        say(text)
        requestRender()
      },
      (err: Error) => {
        say(err.message, true)
        requestRender()
      },
    )
  }

  // ---- navigation ----

  function move(delta: number): void {
    const h = listHeight()
    if (s.screen === 'runs') s.runsSel = moveSelection(runsKeys(s.runs), s.runsSel, delta, h)
    else if (s.screen === 'run' && s.view) s.phaseSel = moveSelection(phaseKeys(s.view), s.phaseSel, delta, h)
    else if (s.screen === 'phase' && s.view) {
      const keys = phaseAgents(s.view, s.phaseTitle ?? '', s.filter).map((a) => a.key)
      s.agentSel = moveSelection(keys, s.agentSel, delta, h)
    } else if (s.screen === 'agent') s.detailScroll = clampScroll(s.detailScroll + delta, s.detailLines, bodyHeight())
  }

  function drillIn(): void {
    if (s.screen === 'runs') {
      if (!s.runsSel.key) return
      openRun(s.runsSel.key)
      s.screen = 'run'
    } else if (s.screen === 'run') {
      if (s.phaseSel.key === undefined) return
      s.phaseTitle = s.phaseSel.key
      s.agentSel = NO_SELECTION
      s.filter = 'all'
      s.screen = 'phase'
    } else if (s.screen === 'phase') {
      if (!s.agentSel.key) return
      s.agentKey = s.agentSel.key
      s.detailScroll = 0
      s.screen = 'agent'
    }
  }

  function back(): void {
    if (s.screen === 'agent') s.screen = 'phase'
    else if (s.screen === 'phase') s.screen = 'run'
    else if (s.screen === 'run') {
      closeRun()
      s.screen = 'runs'
      void pollRuns()
    }
  }

  // ---- keys ----

  function onKey(ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg): void {
    if (closed || key.name === 'return') return // blessed sends Enter as both `return` and `enter`
    const m = s.mode
    if (key.full === 'C-c') return void close()
    if (m.kind === 'confirm') {
      s.mode = { kind: 'normal' }
      if (ch === 'y' || ch === 'Y') send(m.dir, m.command, '')
      else say('Not stopped.')
      return render()
    }
    if (m.kind === 'save') {
      if (key.name === 'escape') {
        s.mode = { kind: 'normal' }
        say('Not saved.')
      } else if (key.name === 'enter') finishSave(m)
      else if (key.name === 'tab') m.personal = !m.personal
      else if (key.name === 'backspace') m.name = m.name.slice(0, -1)
      else if (ch && /^[A-Za-z0-9._-]$/.test(ch) && m.name.length < 64) m.name += ch
      return render()
    }
    s.message = undefined
    switch (key.name) {
      case 'up':
      case 'k':
        move(-1)
        break
      case 'down':
      case 'j':
        move(1)
        break
      case 'pageup':
        move(-Math.max(1, listHeight() - 1))
        break
      case 'pagedown':
        move(Math.max(1, listHeight() - 1))
        break
      case 'home':
        move(-1e9)
        break
      case 'end':
        move(1e9)
        break
      case 'enter':
      case 'right':
      case 'l':
        drillIn()
        break
      case 'escape':
      case 'left':
      case 'h':
      case 'backspace':
        back()
        break
      case 'q':
        return void close()
      case 'p':
        pauseResume()
        break
      case 'x':
        stop()
        break
      case 'r':
        restart()
        break
      case 's':
        startSave()
        break
      case 'f':
        if (s.screen === 'phase') {
          s.filter = nextFilter(s.filter)
          say(`Showing ${s.filter === 'all' ? 'all agents' : `${s.filter} agents`}.`)
        } else say('f filters agents on a phase screen; open a phase first.')
        break
      default:
        return
    }
    render()
  }

  // ---- lifecycle ----

  screen.on('keypress', onKey)
  screen.on('resize', render)
  const poll = setInterval(() => void pollRuns(), RUNS_POLL_MS)
  // Elapsed times move while something runs; nothing is redrawn on the clock when everything is finished.
  const tick = setInterval(() => {
    const live = s.screen === 'runs' ? s.runs.some(isActiveRun) : !!s.view && !FINAL.has(s.view.status)
    if (live) requestRender()
  }, TICK_MS)

  async function close(): Promise<void> {
    if (closed) return closedPromise
    closed = true
    clearInterval(poll)
    clearInterval(tick)
    if (pending) clearTimeout(pending)
    unwatch?.()
    screen.removeListener('keypress', onKey)
    screen.removeListener('resize', render)
    if (ownScreen) screen.destroy()
    else {
      for (const el of [header, body, status, help]) el.detach()
      screen.render()
    }
    resolveClosed()
    return closedPromise
  }

  render()
  void pollRuns()
  return { close, closed: closedPromise }
}

/** Escapes blessed tags in text that comes from runs (labels, prompts, tool inputs). */
function esc(text: string): string {
  return sanitizeForTerminal(text).replace(/[{}]/g, (c) => (c === '{' ? '{open}' : '{close}'))
}
