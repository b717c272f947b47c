// The TUI's view model (src/tui/view-model.ts): rows, counts, tokens, elapsed, filters, selection, windowing.
import { describe, expect, it } from 'vitest'
import { applyEvent, emptyRunView, foldEvents } from '../../src/machines/run-view.js'
import type { RuntimeEvent } from '../../src/machines/types.js'
import {
  agentDetailLines,
  formatCells,
  helpText,
  layoutColumns,
  moveSelection,
  nextFilter,
  phaseAgents,
  phaseRows,
  reconcileSelection,
  runRows,
  runsRows,
  AGENT_COLUMNS,
  type RunListItem,
  type StatusFilter,
} from '../../src/tui/view-model.js'

const tok = (input: number, output: number) => ({ input, output, reasoning: 0, cacheRead: 0, cacheWrite: 0 })
const queued = (key: string, phase = 'A', at = 1000): RuntimeEvent => ({ type: 'agent.queued', key, label: `label-${key}`, phase, prompt: `prompt of ${key}`, at })

function sampleView() {
  return foldEvents('wf_1', [
    { type: 'run.status', runId: 'wf_1', status: 'running', at: 0 },
    { type: 'run.meta', runId: 'wf_1', name: 'demo', phases: [{ title: 'A' }, { title: 'B' }], at: 0 },
    queued('a'),
    queued('b'),
    queued('c'),
    queued('d', 'B', 5000),
    { type: 'agent.started', key: 'a', attempt: 1, at: 1000 },
    { type: 'agent.started', key: 'b', attempt: 1, at: 1000 },
    { type: 'agent.started', key: 'c', attempt: 1, at: 2000 },
    { type: 'agent.tool', key: 'c', call: { id: 't1', tool: 'bash', status: 'completed', title: 'ls -la', input: '{"command":"ls -la"}', at: 2500 }, at: 2500 },
    { type: 'agent.finished', key: 'a', status: 'done', tokens: tok(1500, 500), cost: 0, cached: false, preview: 'all good', at: 4000 },
    { type: 'agent.finished', key: 'b', status: 'failed', tokens: tok(10, 0), cost: 0, cached: false, error: 'model refused', at: 3000 },
    { type: 'log', message: 'first line', at: 100 },
    { type: 'log', message: 'second line', level: 'warn', at: 200 },
  ])
}

const item = (id: string, status: string, live: boolean, startedAt: number, extra: Partial<RunListItem> = {}): RunListItem => ({
  dir: `/runs/${id}`,
  id,
  name: `name-${id}`,
  status,
  live,
  startedAt,
  agents: { done: 3, total: 7 },
  tokens: 12_345,
  ...extra,
})

describe('runs screen rows', () => {
  it('puts live running runs first, then the rest newest first, with counts, tokens and elapsed', () => {
    const runs = [
      item('old', 'completed', false, 1000, { endedAt: 61_000 }),
      item('new', 'failed', false, 5000, { endedAt: 6000 }),
      item('live', 'running', true, 2000),
      item('dead', 'interrupted', false, 9000),
    ]
    const { rows, total } = runsRows(runs, 3_602_000)
    expect(total).toBe(4)
    expect(rows.map((r) => r.key)).toEqual(['/runs/live', '/runs/dead', '/runs/new', '/runs/old'])
    expect(rows[0]!.cells).toEqual(['name-live  live', 'running', '3/7', '12k', '1h00m'])
    expect(rows[3]!.cells[4]).toBe('1m00s')
    // An interrupted run has no end: its elapsed is unknown, not a clock that keeps running.
    expect(rows[1]!.cells[4]).toBe('-')
  })
})

describe('run screen rows', () => {
  it('gives one row per phase with counts by status, token total and elapsed, plus the log tail', () => {
    const view = sampleView()
    const { rows, log } = runRows(view, 10_000, 5)
    expect(rows.map((r) => r.key)).toEqual(['A', 'B'])
    // PHASE RUN QUE DONE FAIL STOP TOKENS ELAPSED
    expect(rows[0]!.cells).toEqual(['A', '1', '0', '1', '1', '0', '2.0k', '9s'])
    expect(rows[1]!.cells).toEqual(['B', '0', '1', '0', '0', '0', '0', '5s'])
    expect(log).toHaveLength(2)
    expect(log[0]).toMatch(/first line$/)
    expect(log[1]).toMatch(/warn: second line$/)
  })

  it('stops the phase clock when the phase has nothing running', () => {
    const view = sampleView()
    applyEvent(view, { type: 'agent.finished', key: 'c', status: 'stopped', tokens: tok(0, 0), cost: 0, cached: false, at: 7000 })
    const a = runRows(view, 99_000).rows[0]!
    expect(a.cells[5]).toBe('1')
    expect(a.cells[7]).toBe('6s')
  })
})

describe('phase screen rows', () => {
  it('lists agents with label, status, tokens, elapsed and last tool call', () => {
    const { rows } = phaseRows(sampleView(), 'A', 'all', 12_000)
    expect(rows.map((r) => r.cells)).toEqual([
      ['label-a', 'done', '2.0k', '3s', ''],
      ['label-b', 'failed', '10', '2s', 'model refused'],
      ['label-c', 'running', '0', '10s', 'bash ls -la'],
    ])
  })

  it('filters by status and cycles all -> running -> failed -> done -> stopped -> all', () => {
    const view = sampleView()
    const seen: StatusFilter[] = []
    let f: StatusFilter = 'all'
    for (let i = 0; i < 5; i++) {
      seen.push(f)
      f = nextFilter(f)
    }
    expect(seen).toEqual(['all', 'running', 'failed', 'done', 'stopped'])
    expect(f).toBe('all')
    expect(phaseAgents(view, 'A', 'running').map((a) => a.key)).toEqual(['c'])
    expect(phaseAgents(view, 'A', 'failed').map((a) => a.key)).toEqual(['b'])
    expect(phaseAgents(view, 'A', 'done').map((a) => a.key)).toEqual(['a'])
    expect(phaseAgents(view, 'A', 'stopped')).toEqual([])
    expect(phaseAgents(view, 'B', 'all').map((a) => a.key)).toEqual(['d'])
  })

  it('formats only the visible window of 1,000 agents', () => {
    const view = emptyRunView('big')
    for (let i = 0; i < 1000; i++) applyEvent(view, queued(`k${i}`, 'P', i))
    const s = phaseRows(view, 'P', 'all', 0, { offset: 990, height: 20 })
    expect(s.total).toBe(1000)
    expect(s.offset).toBe(990)
    expect(s.rows.map((r) => r.key)).toEqual(Array.from({ length: 10 }, (_, i) => `k${990 + i}`))
    expect(phaseRows(view, 'P', 'all', 0, { offset: 100, height: 20 }).rows).toHaveLength(20)
  })
})

describe('selection', () => {
  it('keeps the selected key when rows are inserted or reordered, and clamps when it disappears', () => {
    let sel = reconcileSelection(['a', 'b', 'c'], { index: 0, offset: 0 }, 10)
    sel = moveSelection(['a', 'b', 'c'], sel, 1, 10)
    expect(sel).toMatchObject({ key: 'b', index: 1 })
    sel = reconcileSelection(['x', 'y', 'a', 'b', 'c'], sel, 10)
    expect(sel).toMatchObject({ key: 'b', index: 3 })
    sel = reconcileSelection(['x', 'y', 'a'], sel, 10)
    expect(sel).toMatchObject({ key: 'a', index: 2 })
    expect(reconcileSelection([], sel, 10)).toMatchObject({ key: undefined, index: 0 })
  })

  it('scrolls the window to keep the selection visible among 1,000 rows', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i}`)
    let sel = moveSelection(keys, { index: 0, offset: 0 }, 25, 20)
    expect(sel).toMatchObject({ key: 'k25', index: 25, offset: 6 })
    sel = moveSelection(keys, sel, 1e9, 20)
    expect(sel).toMatchObject({ key: 'k999', offset: 980 })
    sel = moveSelection(keys, sel, -1e9, 20)
    expect(sel).toMatchObject({ key: 'k0', offset: 0 })
  })

  it('follows an agent through a filter change in the phase list', () => {
    const view = sampleView()
    const all = phaseAgents(view, 'A', 'all').map((a) => a.key)
    const sel = moveSelection(all, { index: 0, offset: 0 }, 2, 10)
    expect(sel.key).toBe('c')
    const running = phaseAgents(view, 'A', 'running').map((a) => a.key)
    expect(reconcileSelection(running, sel, 10)).toMatchObject({ key: 'c', index: 0 })
  })
})

describe('agent detail and layout', () => {
  it('shows the prompt, the tool calls with their inputs, and the result or the error', () => {
    const view = sampleView()
    const c = agentDetailLines(view.agents.find((a) => a.key === 'c')!, 80, 5000).join('\n')
    expect(c).toContain('prompt of c')
    expect(c).toContain('✓ bash  ls -la')
    expect(c).toContain('input: {"command":"ls -la"}')
    expect(c).toContain('Result: not yet')
    expect(agentDetailLines(view.agents.find((a) => a.key === 'a')!).join('\n')).toContain('all good')
    expect(agentDetailLines(view.agents.find((a) => a.key === 'b')!).join('\n')).toMatch(/Error:\n {2}model refused/)
  })

  it('wraps long prompts to the width', () => {
    const view = emptyRunView('w')
    applyEvent(view, { type: 'agent.queued', key: 'z', label: 'z', phase: '', prompt: 'word '.repeat(100), at: 0 })
    for (const l of agentDetailLines(view.agents[0]!, 40)) expect(l.length).toBeLessThanOrEqual(40)
  })

  it('fits rows and help bars into 80 columns', () => {
    const widths = layoutColumns(AGENT_COLUMNS, 80)
    const line = formatCells(['a'.repeat(100), 'running', '12k', '1m00s', 'bash '.repeat(30)], AGENT_COLUMNS, widths)
    expect(line).toHaveLength(80)
    for (const s of ['runs', 'run', 'phase', 'agent'] as const) expect(helpText(s).length).toBeLessThanOrEqual(80)
    expect(helpText('phase')).toContain('f filter')
    expect(helpText('agent')).toContain('j/k scroll')
  })
})
