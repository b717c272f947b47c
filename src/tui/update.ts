// The TUI's key and data reducer: (state, input, terminal size) -> new state + effects. Pure: no blessed, no timers,
// no I/O, so every key (navigation ↑↓ Enter/→ Esc/←, j/k, paging, p x r s f q, the y/n and save prompts) is
// unit-tested on plain data. The wiring (./app.ts) performs the effects (watch a run, send a control command, save,
// quit) and feeds their results back in as inputs. Keys only ever ask for ControlCommands: the TUI never changes a
// run's state itself.
import { restartRefusal } from '../machines/agent-ref.js'
import type { RunView } from '../machines/run-view.js'
import type { ControlCommand } from '../machines/types.js'
import { bodyHeight, listHeight, type Dims } from './layout.js'
import { currentAgent, currentRun, type Mode, type SaveRequest, type TuiState } from './state.js'
import { clampScroll, isFinalRunStatus, moveSelection, nextFilter, NO_SELECTION, phaseAgents, phaseKeys, runsKeys, type RunListItem } from './view-model.js'

/** A key as blessed reports it: `ch` is the character typed (if any), `name` the key's name, `full` with modifiers. */
export interface KeyPress {
  ch?: string
  name?: string
  full?: string
}

export type TuiInput =
  | { type: 'key'; key: KeyPress }
  | { type: 'runs'; runs: RunListItem[] }
  | { type: 'runsFailed'; message: string }
  /** A view (or a failure to get one) of the watched run `dir`; ignored once another run is open. */
  | { type: 'view'; dir: string; view: RunView }
  | { type: 'viewFailed'; dir: string; message: string }
  /** The outcome of a control or save effect, as a sentence for the status line. */
  | { type: 'said'; text: string; error: boolean }

export type Effect =
  | { kind: 'quit' }
  /** Stop following any run and follow this one (its views come back as `view` inputs). */
  | { kind: 'watch'; dir: string }
  | { kind: 'unwatch' }
  | { kind: 'pollRuns' }
  /** Send the command to the run's process; on success say `sent`, on failure say the error. */
  | { kind: 'control'; dir: string; command: ControlCommand; sent: string }
  | ({ kind: 'save' } & SaveRequest)

export interface Step {
  state: TuiState
  effects: Effect[]
  /** Whether the screen changed (a key that means nothing changes nothing visible). */
  render: boolean
}

/** Longest workflow name the save prompt accepts (the store's limit). */
const MAX_NAME = 64

export function update(s: TuiState, input: TuiInput, d: Dims): Step {
  switch (input.type) {
    case 'key':
      return onKey(s, input.key, d)
    case 'runs':
      return show({ ...s, runs: input.runs, runsLoaded: true })
    case 'runsFailed':
      return show(say(s, `Could not read the runs: ${input.message}`, true))
    case 'view':
      return s.runDir === input.dir ? show({ ...s, view: input.view, viewError: undefined }) : unchanged(s)
    case 'viewFailed':
      return s.runDir === input.dir ? show({ ...s, viewError: input.message }) : unchanged(s)
    case 'said':
      return show(say(s, input.text, input.error))
  }
}

// ---- keys ----

function onKey(s: TuiState, key: KeyPress, d: Dims): Step {
  if (key.name === 'return') return unchanged(s) // blessed sends Enter as both `return` and `enter`
  if (key.full === 'C-c') return { state: s, effects: [{ kind: 'quit' }], render: false }
  if (s.mode.kind === 'confirm') return confirmKey(s, s.mode, key)
  if (s.mode.kind === 'save') return saveKey(s, s.mode, key)
  const action = key.name === undefined ? undefined : NORMAL_KEYS[key.name]
  const cleared = { ...s, message: undefined }
  // An unbound key still clears the message; it shows at the next frame.
  return action ? action(cleared, d) : unchanged(cleared)
}

function confirmKey(s: TuiState, m: Extract<Mode, { kind: 'confirm' }>, key: KeyPress): Step {
  const normal = { ...s, mode: { kind: 'normal' } as Mode }
  if (key.ch === 'y' || key.ch === 'Y') return send(normal, m.dir, m.command, '')
  return show(say(normal, 'Not stopped.'))
}

function saveKey(s: TuiState, m: Extract<Mode, { kind: 'save' }>, key: KeyPress): Step {
  const withMode = (mode: Mode) => show({ ...s, mode })
  if (key.name === 'escape') return show(say({ ...s, mode: { kind: 'normal' } }, 'Not saved.'))
  if (key.name === 'enter') return finishSave(s, m)
  if (key.name === 'tab') return withMode({ ...m, personal: !m.personal })
  if (key.name === 'backspace') return withMode({ ...m, name: m.name.slice(0, -1) })
  if (key.ch && /^[A-Za-z0-9._-]$/.test(key.ch) && m.name.length < MAX_NAME) return withMode({ ...m, name: m.name + key.ch })
  return show(s)
}

type Action = (s: TuiState, d: Dims) => Step
const page = (s: TuiState, d: Dims) => Math.max(1, listHeight(s, d) - 1)

const NORMAL_KEYS: Record<string, Action> = {
  up: (s, d) => move(s, d, -1),
  k: (s, d) => move(s, d, -1),
  down: (s, d) => move(s, d, 1),
  j: (s, d) => move(s, d, 1),
  pageup: (s, d) => move(s, d, -page(s, d)),
  pagedown: (s, d) => move(s, d, page(s, d)),
  home: (s, d) => move(s, d, -1e9),
  end: (s, d) => move(s, d, 1e9),
  enter: drillIn,
  right: drillIn,
  l: drillIn,
  escape: back,
  left: back,
  h: back,
  backspace: back,
  q: (s) => ({ state: s, effects: [{ kind: 'quit' }], render: false }),
  p: pauseResume,
  x: stop,
  r: restart,
  s: startSave,
  f: cycleFilter,
}

// ---- navigation ----

function move(s: TuiState, d: Dims, delta: number): Step {
  const h = listHeight(s, d)
  if (s.screen === 'runs') return show({ ...s, runsSel: moveSelection(runsKeys(s.runs), s.runsSel, delta, h) })
  if (s.screen === 'run' && s.view) return show({ ...s, phaseSel: moveSelection(phaseKeys(s.view), s.phaseSel, delta, h) })
  if (s.screen === 'phase' && s.view) {
    const keys = phaseAgents(s.view, s.phaseTitle ?? '', s.filter).map((a) => a.key)
    return show({ ...s, agentSel: moveSelection(keys, s.agentSel, delta, h) })
  }
  if (s.screen === 'agent') return show({ ...s, detailScroll: clampScroll(s.detailScroll + delta, s.detailLines, bodyHeight(s, d)) })
  return show(s)
}

function drillIn(s: TuiState): Step {
  if (s.screen === 'runs') {
    if (!s.runsSel.key) return show(s)
    const dir = s.runsSel.key
    const opened = { ...s, screen: 'run' as const, runDir: dir, view: undefined, viewError: undefined, phaseSel: NO_SELECTION }
    return { state: opened, effects: [{ kind: 'watch', dir }], render: true }
  }
  if (s.screen === 'run') {
    if (s.phaseSel.key === undefined) return show(s)
    return show({ ...s, screen: 'phase', phaseTitle: s.phaseSel.key, agentSel: NO_SELECTION, filter: 'all' })
  }
  if (s.screen === 'phase' && s.agentSel.key) return show({ ...s, screen: 'agent', agentKey: s.agentSel.key, detailScroll: 0 })
  return show(s)
}

function back(s: TuiState): Step {
  if (s.screen === 'agent') return show({ ...s, screen: 'phase' })
  if (s.screen === 'phase') return show({ ...s, screen: 'run' })
  if (s.screen === 'run') {
    const closed = { ...s, screen: 'runs' as const, runDir: undefined, view: undefined }
    return { state: closed, effects: [{ kind: 'unwatch' }, { kind: 'pollRuns' }], render: true }
  }
  return show(s)
}

function cycleFilter(s: TuiState): Step {
  if (s.screen !== 'phase') return show(say(s, 'f filters agents on a phase screen; open a phase first.'))
  const filter = nextFilter(s.filter)
  return show(say({ ...s, filter }, `Showing ${filter === 'all' ? 'all agents' : `${filter} agents`}.`))
}

// ---- commands ----

function pauseResume(s: TuiState): Step {
  const run = currentRun(s)
  if (!run) return show(say(s, 'Select a run first.', true))
  if (isFinalRunStatus(run.status)) return show(say(s, `Run ${run.name} is ${run.status}; there is nothing to pause or resume.`, true))
  return send(s, run.dir, { type: run.status === 'paused' ? 'RESUME' : 'PAUSE' }, run.name)
}

/** x: on a phase or agent screen stops that agent at once; on the runs or run screen asks before stopping the run. */
function stop(s: TuiState): Step {
  if (s.screen === 'phase' || s.screen === 'agent') {
    const agent = currentAgent(s)
    if (!agent || !s.runDir) return show(say(s, 'Select an agent first.', true))
    return send(s, s.runDir, { type: 'STOP_AGENT', key: agent.key }, agent.label)
  }
  const run = currentRun(s)
  if (!run) return show(say(s, 'Select a run first.', true))
  if (isFinalRunStatus(run.status)) return show(say(s, `Run ${run.name} is ${run.status} already; there is nothing to stop.`, true))
  return show({ ...s, mode: { kind: 'confirm', text: `Stop the whole run ${run.name}? (y/n)`, command: { type: 'STOP' }, dir: run.dir } })
}

function restart(s: TuiState): Step {
  const agent = currentAgent(s)
  if (!agent || !s.runDir) return show(say(s, 'Select an agent to restart (open a phase first).', true))
  // A settled agent's answer is already the script's: say so instead of pretending (the run refuses it too).
  const refusal = s.view && restartRefusal(s.view, agent.key)
  if (refusal) return show(say(s, refusal, true))
  return send(s, s.runDir, { type: 'RESTART_AGENT', key: agent.key }, agent.label)
}

function startSave(s: TuiState): Step {
  const run = currentRun(s)
  if (!run) return show(say(s, 'Select a run first.', true))
  return show({ ...s, mode: { kind: 'save', dir: run.dir, name: workflowNameFor(run.name), personal: false } })
}

function finishSave(s: TuiState, m: Extract<Mode, { kind: 'save' }>): Step {
  const normal: TuiState = { ...s, mode: { kind: 'normal' } }
  if (!m.name) return show(say(normal, 'Give the workflow a name to save it.', true))
  return { state: say(normal, `Saving ${m.name}…`), effects: [{ kind: 'save', dir: m.dir, name: m.name, personal: m.personal }], render: true }
}

/** The save prompt's first suggestion: the run's name as a workflow name (lower case, safe characters). */
export function workflowNameFor(runName: string): string {
  return runName.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, MAX_NAME) || 'workflow'
}

function send(s: TuiState, dir: string, command: ControlCommand, what: string): Step {
  const about = `${command.type}${what ? ` (${what})` : ''}`
  return { state: say(s, `Sending ${about}…`), effects: [{ kind: 'control', dir, command, sent: `Sent ${about}.` }], render: true }
}

// ---- helpers ----

function say(s: TuiState, text: string, error = false): TuiState {
  return { ...s, message: { text, error } }
}

function show(state: TuiState): Step {
  return { state, effects: [], render: true }
}

function unchanged(state: TuiState): Step {
  return { state, effects: [], render: false }
}
