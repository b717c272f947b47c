import { describe, expect, it } from 'vitest'
import { agentTotals, applyEvent, emptyRunView, foldEvents, MAX_TOOLS, parseRunView } from '../../src/machines/run-view.js'
import type { RuntimeEvent } from '../../src/machines/types.js'

const tok = (input: number, output: number) => ({ input, output, reasoning: 0, cacheRead: 0, cacheWrite: 0 })
const queued = (key: string, phase = 'A'): RuntimeEvent => ({ type: 'agent.queued', key, label: key, phase, prompt: `p ${key}`, at: 1 })

describe('run view reducer', () => {
  it('counts agents by status per phase and sums tokens', () => {
    const view = foldEvents('r1', [
      { type: 'run.status', runId: 'r1', status: 'running', at: 0 },
      queued('a'),
      queued('b'),
      queued('c', 'B'),
      { type: 'agent.started', key: 'a', attempt: 1, at: 2 },
      { type: 'agent.started', key: 'b', attempt: 1, at: 2 },
      { type: 'agent.finished', key: 'a', status: 'done', tokens: tok(10, 5), cost: 0.01, cached: false, at: 3 },
      { type: 'agent.finished', key: 'b', status: 'failed', tokens: tok(1, 0), cost: 0, cached: false, error: 'boom', at: 4 },
    ])
    const a = view.phases.find((p) => p.title === 'A')!
    expect(a.counts).toMatchObject({ queued: 0, running: 0, done: 1, failed: 1 })
    expect(view.phases.find((p) => p.title === 'B')!.counts.queued).toBe(1)
    expect(a.tokens.input).toBe(11)
    expect(view.tokens.output).toBe(5)
    expect(view.cost).toBeCloseTo(0.01)
    expect(view.agents.find((x) => x.key === 'b')!.error).toBe('boom')
    expect(agentTotals(view)).toMatchObject({ total: 3, done: 1, failed: 1, queued: 1 })
  })

  it('moves a restarted agent back to queued without counting it twice', () => {
    const view = foldEvents('r', [
      queued('a'),
      { type: 'agent.started', key: 'a', attempt: 1, at: 2 },
      { type: 'agent.finished', key: 'a', status: 'stopped', tokens: tok(0, 0), cost: 0, cached: false, at: 3 },
      queued('a'),
      { type: 'agent.started', key: 'a', attempt: 2, at: 4 },
    ])
    expect(view.agents).toHaveLength(1)
    expect(view.phases[0].counts).toMatchObject({ stopped: 0, running: 1, queued: 0 })
    expect(view.agents[0].attempt).toBe(2)
  })

  it('keeps only the most recent tool calls and updates a call in place', () => {
    const view = emptyRunView('r')
    applyEvent(view, queued('a'))
    for (let i = 0; i < MAX_TOOLS + 5; i++) {
      applyEvent(view, { type: 'agent.tool', key: 'a', call: { id: `t${i}`, tool: 'read', status: 'running', at: i }, at: i })
    }
    const last = `t${MAX_TOOLS + 4}`
    applyEvent(view, { type: 'agent.tool', key: 'a', call: { id: last, tool: 'read', status: 'completed', at: 99 }, at: 99 })
    expect(view.agents[0].tools).toHaveLength(MAX_TOOLS)
    expect(view.agents[0].tools.at(-1)).toMatchObject({ id: last, status: 'completed' })
  })

  it('survives a JSON round trip and goes on folding (index is rebuilt)', () => {
    const view = foldEvents('r', [queued('a'), queued('b')])
    const copy = JSON.parse(JSON.stringify(view))
    applyEvent(copy, { type: 'agent.finished', key: 'b', status: 'done', tokens: tok(1, 1), cost: 0, cached: true, at: 5 })
    expect(copy.agents[1]).toMatchObject({ status: 'done', cached: true })
    expect(copy.phases[0].counts).toMatchObject({ queued: 1, done: 1 })
  })
})

describe('view.json schema (15.6)', () => {
  it('parses a view the reducer wrote, and refuses one that is not a view (readers then rebuild from the journal)', () => {
    const view = foldEvents('r', [queued('a'), { type: 'agent.finished', key: 'a', status: 'done', tokens: tok(1, 1), cost: 0, cached: false, at: 2 }])
    expect(parseRunView(JSON.stringify(view))).toEqual(JSON.parse(JSON.stringify(view)))
    const planted = { ...JSON.parse(JSON.stringify(view)), agents: [{ key: 'a', status: 'done', tokens: 'many' }] }
    expect(parseRunView(JSON.stringify(planted))).toBeUndefined()
    expect(parseRunView('{"runId": 1')).toBeUndefined()
  })
})
