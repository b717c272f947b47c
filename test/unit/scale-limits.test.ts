// A run raised to many agents (--max-agents 100000) gets a script VM-time allowance that grows with the cap: each
// agent's promise is resolved in the VM, so 30 s in total would stop a 100,000-agent run on bookkeeping alone.
import { describe, expect, it } from 'vitest'
import { DEFAULT_MAX_AGENTS, scriptCpuLimits } from '../../src/actors/runtime.js'

describe('script CPU limits by agent cap', () => {
  it('keeps the sandbox defaults up to 30,000 agents', () => {
    expect(scriptCpuLimits(DEFAULT_MAX_AGENTS)).toBeUndefined()
    expect(scriptCpuLimits(30_000)).toBeUndefined()
  })

  it('gives 1 ms per agent in total beyond that, while one stretch without awaiting still stops at 30 s', () => {
    expect(scriptCpuLimits(100_000)).toEqual({ cpuMs: 100_000, sliceMs: 30_000 })
  })
})
