// How the terminal's rows and columns are shared out: header (1 row), body, status line (1 row, 2 while a message
// does not fit in one), help bar (1 row). Pure, from the terminal size and the state, so the key reducer (paging,
// scrolling) and the drawing agree on every height.
import type { TuiState } from './state.js'

/** The terminal's size as blessed reports it (0 or NaN while unknown). */
export interface Dims {
  cols: number
  rows: number
}

/** Usable text width: one column less than the screen, since blessed wraps a line that fills the width and ends in a
 *  closing tag. */
export function textWidth(d: Dims): number {
  return Math.max(20, (Number(d.cols) || 80) - 1)
}

/** The status line grows to two rows while a message does not fit in one (errors are full sentences). */
export function statusRows(s: TuiState, d: Dims): number {
  return s.mode.kind === 'normal' && s.message && s.message.text.length > textWidth(d) ? 2 : 1
}

export function bodyHeight(s: TuiState, d: Dims): number {
  return Math.max(3, (Number(d.rows) || 24) - 2 - statusRows(s, d))
}

/** Rows of the phase table on the run screen: as many as there are phases, leaving room for the log below. */
export function runListHeight(s: TuiState, d: Dims): number {
  const h = bodyHeight(s, d) - 1
  const phases = s.view?.phases.length ?? 0
  return Math.max(1, Math.min(Math.max(phases, 1), h - 4))
}

/** Rows of the list on the current screen (the body minus its column header, and minus the log on the run screen). */
export function listHeight(s: TuiState, d: Dims): number {
  return s.screen === 'run' ? runListHeight(s, d) : bodyHeight(s, d) - 1
}
