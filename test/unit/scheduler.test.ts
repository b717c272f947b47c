// The workflow's agent book (src/machines/scheduler.ts): the one place that changes the workflow's context in place.
// FIFO slots under a limit, stale reports ignored, restarts, and what resume forgets.
import { describe, expect, it } from 'vitest'
import { enqueueAgent, finishAgent, forgetCompleted, restartAgent, startWaiting, type AgentBook } from '../../src/machines/scheduler.js'
import type { AgentCall } from '../../src/machines/types.js'

const call = (i: number): AgentCall => ({ key: `k${i}`, prompt: `p${i}`, phase: 'Main', opts: {} })
const book = (): AgentBook => ({ agents: {}, waiting: [], running: [] })

describe('scheduler', () => {
  it('starts waiting agents first in, first out, never more than the limit', () => {
    const b = book()
    for (let i = 0; i < 4; i++) enqueueAgent(b, call(i))
    expect(startWaiting(b, 2).map((t) => t.call.key)).toEqual(['k0', 'k1'])
    expect(startWaiting(b, 2)).toEqual([])
    expect(finishAgent(b, 'k1', 1, 'done')).toMatchObject({ from: 'running' })
    expect(startWaiting(b, 2).map((t) => t.call.key)).toEqual(['k2'])
    expect(b.running).toEqual(['k0', 'k2'])
    expect(b.waiting).toEqual(['k3'])
  })

  it('ignores a report of an earlier attempt, and counts a re-run as the next attempt', () => {
    const b = book()
    enqueueAgent(b, call(0))
    startWaiting(b, 1)
    restartAgent(b, 'k0', 2)
    expect(finishAgent(b, 'k0', 1, 'failed')).toBeUndefined()
    expect(b.agents.k0!.status).toBe('running')
    expect(finishAgent(b, 'k0', 2, 'stopped')).toMatchObject({ from: 'running' })
    expect(enqueueAgent(b, call(0))).toEqual({ attempt: 3, from: 'stopped' })
  })

  it('an agent stopped while queued leaves the queue', () => {
    const b = book()
    enqueueAgent(b, call(0))
    enqueueAgent(b, call(1))
    startWaiting(b, 1)
    expect(finishAgent(b, 'k1', 1, 'stopped')).toMatchObject({ from: 'queued' })
    expect(b.waiting).toEqual([])
  })

  it('resume forgets the agents the journal completed that the book had not booked as done', () => {
    const b = book()
    for (let i = 0; i < 3; i++) enqueueAgent(b, call(i))
    startWaiting(b, 2)
    finishAgent(b, 'k0', 1, 'done')
    // k0 was booked done (its tokens are in the tally); k1 still shows running, k2 queued: the journal has both.
    expect(forgetCompleted(b, new Set(['k0', 'k1', 'k2']))).toBe(2)
    expect(Object.keys(b.agents)).toEqual(['k0'])
    expect(b.running).toEqual([])
    expect(b.waiting).toEqual([])
  })
})
