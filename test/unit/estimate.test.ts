// The approval caution's static agent count (src/script/estimate.ts).
import { describe, expect, it } from 'vitest'
import { estimateAgents } from '../../src/script/estimate.js'

describe('estimateAgents', () => {
  it('counts agent() calls outside loops and callbacks once each', () => {
    expect(estimateAgents("const a = await agent('x')\nif (a) await agent('y', { label: agent.name })\nlog(a)")).toEqual({ max: 2, unbounded: false })
  })

  it('is open-ended for agent() in a loop or a callback, and for vote, review and workflow anywhere', () => {
    expect(estimateAgents("for (const x of [1, 2]) await agent('x')").unbounded).toBe(true)
    expect(estimateAgents("await parallel([1, 2].map((i) => () => agent('x' + i)))").unbounded).toBe(true)
    expect(estimateAgents("await vote('q', { n: 3 })")).toEqual({ max: 0, unbounded: true })
    expect(estimateAgents("await workflow('sub')").unbounded).toBe(true)
  })

  it('is open-ended for a script it cannot parse', () => {
    expect(estimateAgents('agent(')).toEqual({ max: 0, unbounded: true })
  })
})
