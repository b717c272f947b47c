// What the TUI remembers between frames: which screen is shown, what is selected on each, the open run's view, the
// prompt mode (normal, a y/n confirmation, typing a workflow name) and the status-line message. Plain data: the key
// reducer (./update.ts) makes new states from old ones, the drawing (./draw.ts) reads them, and the blessed wiring
// (./app.ts) only holds the current one.
import type { RunView } from '../machines/run-view.js'
import type { ControlCommand } from '../machines/types.js'
import { isActiveRun, isFinalRunStatus, NO_SELECTION, type RunListItem, type Screen, type Selection, type StatusFilter } from './view-model.js'

/** Saving run `dir`'s script as workflow `name`, in the project or (personal) in the user's own workflows. */
export interface SaveRequest {
  dir: string
  name: string
  personal: boolean
}

/** The status line's prompt: normal keys, a y/n question before a command, or typing a name to save a workflow. */
export type Mode = { kind: 'normal' } | { kind: 'confirm'; text: string; command: ControlCommand; dir: string } | ({ kind: 'save' } & SaveRequest)

export interface TuiState {
  screen: Screen
  runs: RunListItem[]
  /** False until the first runs list arrived (the screen says "Reading the runs…"). */
  runsLoaded: boolean
  runsSel: Selection
  /** The run being watched (open on the run, phase or agent screen). */
  runDir?: string
  view?: RunView
  viewError?: string
  phaseSel: Selection
  phaseTitle?: string
  agentSel: Selection
  filter: StatusFilter
  /** The agent shown on the agent screen. */
  agentKey?: string
  detailScroll: number
  /** Lines of the agent detail at the last frame (scrolling clamps to it). */
  detailLines: number
  mode: Mode
  message?: { text: string; error: boolean }
}

export function initialTuiState(): TuiState {
  return {
    screen: 'runs',
    runs: [],
    runsLoaded: false,
    runsSel: NO_SELECTION,
    phaseSel: NO_SELECTION,
    agentSel: NO_SELECTION,
    filter: 'all',
    detailScroll: 0,
    detailLines: 0,
    mode: { kind: 'normal' },
  }
}

/** True while something on screen runs, so elapsed times move and the clock should redraw; false when all is final. */
export function showsLiveWork(s: TuiState): boolean {
  return s.screen === 'runs' ? s.runs.some(isActiveRun) : !!s.view && !isFinalRunStatus(s.view.status)
}

/** The run the keys act on: the selected one on the runs screen, else the open one. */
export function currentRun(s: TuiState): { dir: string; name: string; status: string } | undefined {
  if (s.screen === 'runs') {
    const item = s.runs.find((r) => r.dir === s.runsSel.key)
    return item && { dir: item.dir, name: item.name, status: item.status }
  }
  if (!s.runDir) return undefined
  const item = s.runs.find((r) => r.dir === s.runDir)
  return { dir: s.runDir, name: s.view?.name ?? item?.name ?? s.runDir, status: s.view?.status ?? item?.status ?? 'unknown' }
}

/** The agent the keys act on: the selected one on the phase screen, the shown one in the detail. */
export function currentAgent(s: TuiState): { key: string; label: string } | undefined {
  const key = s.screen === 'phase' ? s.agentSel.key : s.screen === 'agent' ? s.agentKey : undefined
  if (!key) return undefined
  const a = s.view?.agents.find((x) => x.key === key)
  return { key, label: a?.label ?? key }
}
