// The TUI's key reducer (src/tui/update.ts) and frame drawing (src/tui/draw.ts) on plain data: no blessed, no
// terminal. Each key goes through `press`, which draws a frame first as the app does (drawing reconciles the
// selection with the rows on screen), then feeds the key and collects the effects the app would perform.
import { describe, expect, it } from 'vitest'
import { foldEvents } from '../../src/machines/run-view.js'
import type { RuntimeEvent } from '../../src/machines/types.js'
import { drawFrame } from '../../src/tui/draw.js'
import type { Dims } from '../../src/tui/layout.js'
import { initialTuiState, showsLiveWork, type TuiState } from '../../src/tui/state.js'
import { update, workflowNameFor, type Effect, type KeyPress, type TuiInput } from '../../src/tui/update.js'
import type { RunListItem } from '../../src/tui/view-model.js'

const DIMS: Dims = { cols: 100, rows: 30 }
const NOW = 100_000
const tok = (input: number) => ({ input, output: 0, reasoning: 0, cacheRead: 0, cacheWrite: 0 })

/** A running run with phase A (agents a running, b done, c failed) and phase B (agent d running). */
function liveView(status = 'running') {
  const queued = (key: string, phase: string): RuntimeEvent => ({ type: 'agent.queued', key, label: `label-${key}`, phase, prompt: `prompt of ${key}`, at: 1000 })
  const started = (key: string): RuntimeEvent => ({ type: 'agent.started', key, attempt: 1, at: 1000 })
  return foldEvents('wf_1', [
    { type: 'run.status', runId: 'wf_1', status: status as 'running', at: 0 },
    { type: 'run.meta', runId: 'wf_1', name: 'Demo Run!', phases: [{ title: 'A' }, { title: 'B' }], at: 0 },
    ...(['a', 'b', 'c'].map((k) => queued(k, 'A')) as RuntimeEvent[]),
    queued('d', 'B'),
    ...['a', 'b', 'c', 'd'].map(started),
    { type: 'agent.finished', key: 'b', status: 'done', tokens: tok(10), cost: 0, cached: false, preview: 'ok', at: 2000 },
    { type: 'agent.finished', key: 'c', status: 'failed', tokens: tok(10), cost: 0, cached: false, error: 'boom', at: 2000 },
  ])
}

const run = (id: string, status: string, live: boolean, startedAt: number): RunListItem => ({
  dir: `/runs/${id}`,
  id,
  name: id === 'r1' ? 'Demo Run!' : `name-${id}`,
  status,
  live,
  startedAt,
  agents: { done: 1, total: 4 },
  tokens: 20,
})
const RUNS = [run('r1', 'running', true, 3000), run('r2', 'completed', false, 2000), run('r3', 'failed', false, 1000)]

const k = (name: string, ch?: string): KeyPress => ({ name, ch, full: name })

/** Feeds inputs (a string is a key name) the way the app does: a frame, then the input. */
function press(state: TuiState, ...inputs: (string | KeyPress | TuiInput)[]) {
  const effects: Effect[] = []
  let rendered = true
  for (const i of inputs) {
    state = drawFrame(state, DIMS, NOW).state
    const input: TuiInput = typeof i === 'string' ? { type: 'key', key: k(i, i.length === 1 ? i : undefined) } : 'type' in i ? i : { type: 'key', key: i }
    const step = update(state, input, DIMS)
    state = step.state
    effects.push(...step.effects)
    rendered = step.render
  }
  const drawn = drawFrame(state, DIMS, NOW)
  return { state: drawn.state, effects, rendered, frame: drawn.frame }
}

const loaded = (runs = RUNS) => press(initialTuiState(), { type: 'runs', runs }).state
/** The TUI with run r1 open and its view arrived. */
const openRun = (view = liveView()) => press(loaded(), 'enter', { type: 'view', dir: '/runs/r1', view }).state
const openPhaseA = () => press(openRun(), 'enter').state

describe('TUI keys: navigation', () => {
  it('lists runs (live first), moves with ↓/j and ↑/k, and clamps at both ends', () => {
    const s = loaded()
    expect(s.runsSel.key).toBe('/runs/r1') // the first frame selects the top row
    expect(press(s, 'down').state.runsSel.key).toBe('/runs/r2')
    expect(press(s, 'j', 'j').state.runsSel.key).toBe('/runs/r3')
    expect(press(s, 'j', 'j', 'j', 'j').state.runsSel.key).toBe('/runs/r3')
    expect(press(s, 'j', 'k').state.runsSel.key).toBe('/runs/r1')
    expect(press(s, 'up', 'up').state.runsSel.key).toBe('/runs/r1')
    expect(press(s, 'end').state.runsSel.key).toBe('/runs/r3')
    expect(press(s, 'end', 'home').state.runsSel.key).toBe('/runs/r1')
  })

  it('Enter/→/l drill runs → run → phase → agent; Esc/←/h/Backspace go back, closing the run on the runs screen', () => {
    const opened = press(loaded(), 'enter')
    expect(opened.state).toMatchObject({ screen: 'run', runDir: '/runs/r1', view: undefined })
    expect(opened.effects).toEqual([{ kind: 'watch', dir: '/runs/r1' }])
    expect(opened.frame.body).toContain('Loading the run…')

    const withView = press(opened.state, { type: 'view', dir: '/runs/r1', view: liveView() })
    expect(withView.frame.body).toContain('PHASE')
    expect(press(withView.state, 'right').state).toMatchObject({ screen: 'phase', phaseTitle: 'A', filter: 'all' })
    const phaseB = press(withView.state, 'j', 'l')
    expect(phaseB.state).toMatchObject({ screen: 'phase', phaseTitle: 'B' })

    const agent = press(openPhaseA(), 'j', 'enter')
    expect(agent.state).toMatchObject({ screen: 'agent', agentKey: 'b', detailScroll: 0 })
    expect(agent.frame.body).toContain('prompt of b')

    expect(press(agent.state, 'escape').state.screen).toBe('phase')
    expect(press(agent.state, 'left', 'h').state.screen).toBe('run')
    const back = press(agent.state, 'left', 'h', 'backspace')
    expect(back.state).toMatchObject({ screen: 'runs', runDir: undefined, view: undefined })
    expect(back.effects).toEqual([{ kind: 'unwatch' }, { kind: 'pollRuns' }])
  })

  it('ignores a view of a run that is no longer open, and shows a watch error', () => {
    const s = press(loaded(), 'enter').state
    const other = update(s, { type: 'view', dir: '/runs/r2', view: liveView() }, DIMS)
    expect(other.render).toBe(false)
    expect(other.state.view).toBeUndefined()
    const failed = press(s, { type: 'viewFailed', dir: '/runs/r1', message: 'The run dir is gone.' })
    expect(failed.frame.body).toContain('The run dir is gone.')
  })

  it('j/k scroll the agent detail within its length', () => {
    const view = liveView()
    view.agents.find((a) => a.key === 'a')!.prompt = Array.from({ length: 80 }, (_, i) => `line ${i}`).join('\n')
    const detail = press(openRun(view), 'enter', 'enter').state
    expect(detail.screen).toBe('agent')
    expect(press(detail, 'j', 'j', 'j').state.detailScroll).toBe(3)
    expect(press(detail, 'j', 'k', 'k').state.detailScroll).toBe(0)
    const bottom = press(detail, 'end')
    expect(bottom.state.detailScroll).toBe(bottom.state.detailLines - 27) // the body is 30 rows minus header, status and help
    expect(bottom.frame.header).toContain(`(${bottom.state.detailLines - 26}-${bottom.state.detailLines}/${bottom.state.detailLines})`)
  })

  it('an unbound key clears the message without a redraw; Enter-as-return and q/C-c are handled apart', () => {
    const s = press(loaded(), 'f').state
    expect(s.message?.text).toMatch(/^f filters agents on a phase screen/)
    const unbound = update(s, { type: 'key', key: k('z', 'z') }, DIMS)
    expect(unbound.render).toBe(false)
    expect(unbound.state.message).toBeUndefined()
    expect(update(s, { type: 'key', key: k('return') }, DIMS)).toEqual({ state: s, effects: [], render: false })
    expect(update(s, { type: 'key', key: k('q', 'q') }, DIMS).effects).toEqual([{ kind: 'quit' }])
    expect(update(s, { type: 'key', key: { name: 'c', ch: 'c', full: 'C-c' } }, DIMS).effects).toEqual([{ kind: 'quit' }])
  })
})

describe('TUI keys: commands', () => {
  it('p pauses a running run and resumes a paused one; refuses a finished one with a sentence', () => {
    const pause = press(loaded(), 'p')
    expect(pause.effects).toEqual([{ kind: 'control', dir: '/runs/r1', command: { type: 'PAUSE' }, sent: 'Sent PAUSE (Demo Run!).' }])
    expect(pause.state.message).toEqual({ text: 'Sending PAUSE (Demo Run!)…', error: false })
    expect(press(pause.state, { type: 'said', text: 'Sent PAUSE (Demo Run!).', error: false }).frame.status.trimEnd()).toBe('Sent PAUSE (Demo Run!).')

    const resume = press(openRun(liveView('paused')), 'p')
    expect(resume.effects).toMatchObject([{ kind: 'control', command: { type: 'RESUME' } }])

    const finished = press(loaded(), 'j', 'p')
    expect(finished.effects).toEqual([])
    expect(finished.state.message).toEqual({ text: 'Run name-r2 is completed; there is nothing to pause or resume.', error: true })
  })

  it('x on the runs screen asks y/n before STOP; y sends it, anything else does not', () => {
    const asked = press(loaded(), 'x')
    expect(asked.effects).toEqual([])
    expect(asked.state.mode).toMatchObject({ kind: 'confirm', dir: '/runs/r1', command: { type: 'STOP' } })
    expect(asked.frame.status).toContain('Stop the whole run Demo Run!? (y/n)')
    expect(press(asked.state, 'y').effects).toEqual([{ kind: 'control', dir: '/runs/r1', command: { type: 'STOP' }, sent: 'Sent STOP.' }])
    expect(press(asked.state, { name: 'Y', ch: 'Y' }).effects).toHaveLength(1)
    const no = press(asked.state, 'n')
    expect(no.effects).toEqual([])
    expect(no.state).toMatchObject({ mode: { kind: 'normal' }, message: { text: 'Not stopped.' } })
    expect(press(loaded(), 'j', 'j', 'x').state.message?.text).toBe('Run name-r3 is failed already; there is nothing to stop.')
  })

  it('x on a phase or agent screen stops the selected agent at once', () => {
    expect(press(openPhaseA(), 'x').effects).toEqual([{ kind: 'control', dir: '/runs/r1', command: { type: 'STOP_AGENT', key: 'a' }, sent: 'Sent STOP_AGENT (label-a).' }])
    expect(press(openPhaseA(), 'j', 'enter', 'x').effects).toMatchObject([{ command: { type: 'STOP_AGENT', key: 'b' } }])
  })

  it('r restarts a running agent, refuses a settled one with the run\'s sentence, and needs an agent', () => {
    expect(press(openPhaseA(), 'r').effects).toMatchObject([{ command: { type: 'RESTART_AGENT', key: 'a' } }])
    const settled = press(openPhaseA(), 'j', 'r')
    expect(settled.effects).toEqual([])
    expect(settled.state.message?.text).toMatch(/^Agent "label-b" \(b\) already finished/)
    expect(press(loaded(), 'r').state.message).toEqual({ text: 'Select an agent to restart (open a phase first).', error: true })
  })

  it('f cycles the phase filter and follows the selection; elsewhere it says where it works', () => {
    const s = press(openPhaseA(), 'f')
    expect(s.state.filter).toBe('running')
    expect(s.state.message?.text).toBe('Showing running agents.')
    expect(s.frame.header).toContain('filter: running')
    const failed = press(s.state, 'f')
    expect(failed.state.agentSel.key).toBe('c')
    expect(press(failed.state, 'f', 'f', 'f').state.message?.text).toBe('Showing all agents.')
  })

  it('s opens the save prompt with a safe name; typing, Backspace, Tab and Enter save; Esc cancels', () => {
    const prompt = press(loaded(), 's')
    expect(prompt.state.mode).toEqual({ kind: 'save', dir: '/runs/r1', name: 'demo-run-', personal: false })
    expect(prompt.frame.status).toContain('Save as workflow: demo-run-_  [project]')
    const typed = press(prompt.state, 'backspace', { name: 'x', ch: 'x' }, { name: undefined, ch: '!' }, 'tab')
    expect(typed.state.mode).toMatchObject({ name: 'demo-runx', personal: true })
    const saved = press(typed.state, 'enter')
    expect(saved.effects).toEqual([{ kind: 'save', dir: '/runs/r1', name: 'demo-runx', personal: true }])
    expect(saved.state.message?.text).toBe('Saving demo-runx…')
    expect(press(prompt.state, 'escape').state).toMatchObject({ mode: { kind: 'normal' }, message: { text: 'Not saved.' } })
    const emptied = press(prompt.state, ...Array(12).fill('backspace'), 'enter')
    expect(emptied.effects).toEqual([])
    expect(emptied.state.message).toEqual({ text: 'Give the workflow a name to save it.', error: true })
    expect(workflowNameFor('  ***  ')).toBe('workflow')
  })
})

describe('TUI frames', () => {
  it('escapes blessed tags and terminal sequences in run text, and wraps a long error to two status rows', () => {
    const view = liveView()
    view.agents[0]!.label = '{red-fg}evil\x1b]0;title\x07'
    const phase = press(openRun(view), 'enter')
    expect(phase.frame.body).toContain('{open}red-fg{close}evil')
    expect(phase.frame.body).not.toMatch(/\x1b|\x07/)
    const long = press(phase.state, { type: 'said', text: 'A sentence that is far too long. '.repeat(5), error: true })
    expect(long.frame.statusRows).toBe(2)
    expect(long.frame.bodyHeight).toBe(DIMS.rows - 4)
    expect(long.frame.status.startsWith('{red-fg}')).toBe(true)
  })

  it('keeps the clock going only while something on screen runs', () => {
    expect(showsLiveWork(loaded())).toBe(true)
    expect(showsLiveWork(loaded([run('r2', 'completed', false, 1)]))).toBe(false)
    expect(showsLiveWork(openRun())).toBe(true)
    expect(showsLiveWork(openRun(liveView('completed')))).toBe(false)
  })

  it('says when there are no runs yet, and when the runs cannot be read', () => {
    expect(drawFrame(initialTuiState(), DIMS, NOW).frame.body).toBe('Reading the runs…')
    expect(press(initialTuiState(), { type: 'runs', runs: [] }).frame.body).toMatch(/^No runs in this project yet/)
    expect(press(initialTuiState(), { type: 'runsFailed', message: 'EACCES.' }).state.message).toEqual({ text: 'Could not read the runs: EACCES.', error: true })
  })
})
