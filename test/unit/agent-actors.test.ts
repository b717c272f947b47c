// Agent actors exist only while their agent holds a slot (issue 17.1): XState copies a parent's children map on each
// spawn and stop, so an actor per queued agent made every agent cost O(agents waiting). A queued agent is still
// stoppable, and it never runs.
import { describe, expect, it } from 'vitest'
import { createActor, fromPromise } from 'xstate'
import { provideWorkflow } from '../../src/machines/workflow.js'
import type { AgentCall, ExecResult } from '../../src/machines/types.js'

const tokens = { input: 1, output: 1, reasoning: 0, cacheRead: 0, cacheWrite: 0 }
const call = (i: number): AgentCall => ({ key: `q${i}-0`, prompt: `p${i}`, phase: 'Main', opts: {} })

function workflow(concurrency: number) {
  const pending = new Map<string, (r: ExecResult) => void>()
  const ran: string[] = []
  const execute = fromPromise<ExecResult, { call: AgentCall; attempt: number }>(
    ({ input }) =>
      new Promise((resolve) => {
        ran.push(input.call.key)
        pending.set(input.call.key, resolve)
      }),
  )
  const script = fromPromise<unknown, unknown>(() => new Promise(() => undefined))
  const actor = createActor(provideWorkflow({ script, execute }), {
    input: { runId: 'wf_t', concurrency, maxAgents: 10_000, budgetTotal: null, meta: { name: 't', phases: [] } },
  })
  const settled: { key: string; status: string }[] = []
  actor.on('agent.finished', (e) => settled.push({ key: e.key, status: e.status }))
  actor.start()
  actor.send({ type: 'SCRIPT.READY' })
  const agentChildren = () => Object.keys(actor.getSnapshot().children).filter((id) => /^q\d+-0$/.test(id))
  const finish = (key: string) => {
    pending.get(key)!({ result: key, tokens, cost: 0 })
    pending.delete(key)
  }
  return { actor, ran, settled, agentChildren, finish, tick: () => new Promise((r) => setTimeout(r, 0)) }
}

describe('agent actors', () => {
  it('exist only for running agents: 500 queued at concurrency 3 make 3 actors, however many wait', async () => {
    const w = workflow(3)
    for (let i = 0; i < 500; i++) w.actor.send({ type: 'AGENT.REQUEST', call: call(i) })
    await w.tick()
    expect(w.agentChildren().sort()).toEqual(['q0-0', 'q1-0', 'q2-0'])
    w.finish('q0-0')
    await w.tick()
    expect(w.agentChildren().sort()).toEqual(['q1-0', 'q2-0', 'q3-0'])
    expect(w.ran).toEqual(['q0-0', 'q1-0', 'q2-0', 'q3-0'])
  })

  it('STOP_AGENT on a queued agent settles it as stopped without ever running it; the queue moves on', async () => {
    const w = workflow(1)
    for (let i = 0; i < 3; i++) w.actor.send({ type: 'AGENT.REQUEST', call: call(i) })
    await w.tick()
    w.actor.send({ type: 'STOP_AGENT', key: 'q1-0' })
    await w.tick()
    expect(w.settled).toEqual([{ key: 'q1-0', status: 'stopped' }])
    w.finish('q0-0')
    await w.tick()
    expect(w.ran).toEqual(['q0-0', 'q2-0'])
    const ctx = w.actor.getSnapshot().context
    expect(ctx.agents['q1-0']!.status).toBe('stopped')
    expect(ctx.waiting).toEqual([])
  })
})
