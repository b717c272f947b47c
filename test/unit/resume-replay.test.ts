// Resume replays the script: journal answers must land on the call sites that produced them (13.5), an edited script
// reuses only its unchanged leading calls (16.4), an interrupted agent is asked at most once more (13.1), and the
// resume's own flags govern a restored snapshot (13.3). In-process executor (the e2e side: test/e2e/resume-trust.test.ts).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createInstantExecutor } from '../../src/actors/instant-executor.js'
import { startRun } from '../../src/actors/runtime.js'
import type { AgentCall, AgentExecutor, ExecResult } from '../../src/machines/types.js'
import { waitFor } from '../support/wait.js'
import { tempDirs } from '../support/temp-dirs.js'

const project = tempDirs('ocdw-replay-')

const TOKENS = { input: 10, output: 5, reasoning: 0, cacheRead: 0, cacheWrite: 0 }

/** An executor whose agents finish only when the test says so (by prompt), so completion order is the test's. */
function gatedExecutor() {
  const waiting = new Map<string, { call: AgentCall; resolve: (r: ExecResult) => void; reject: (e: Error) => void }>()
  const asked: string[] = []
  const executor: AgentExecutor = {
    run(call, ctx) {
      asked.push(call.prompt)
      return new Promise<ExecResult>((resolve, reject) => {
        waiting.set(call.prompt, { call, resolve, reject })
        ctx.signal.addEventListener('abort', () => reject(Object.assign(new Error('stopped'), { name: 'AbortError' })), { once: true })
      })
    },
  }
  return {
    executor,
    asked,
    async finish(prompt: string, result: unknown) {
      const w = await waitFor(`agent "${prompt}" to be asked`, () => waiting.get(prompt))
      waiting.delete(prompt)
      w.resolve({ result, tokens: TOKENS, cost: 0 })
    },
  }
}

describe('resume replay', () => {
  it('13.5 identical prompts in parallel branches keep their own results on replay', async () => {
    const projectDir = project()
    // Each branch asks the same question after its own first agent; the second branch's first agent finishes first.
    const script = `export const meta = { name: 'twins' }
const [a, b] = await parallel([
  () => agent('first of A').then((x) => agent('same question', { label: 'after A' }).then((y) => x + ' -> ' + y)),
  () => agent('first of B').then((x) => agent('same question', { label: 'after B' }).then((y) => x + ' -> ' + y)),
])
return { a, b }`
    const g = gatedExecutor()
    const run = await startRun({ projectDir, script, executor: g.executor, control: false })
    await g.finish('first of B', 'B1')
    await waitFor('the question after B', () => g.asked.filter((p) => p === 'same question').length === 1)
    await g.finish('same question', 'answer for B')
    await g.finish('first of A', 'A1')
    await waitFor('the question after A', () => g.asked.filter((p) => p === 'same question').length === 2)
    await g.finish('same question', 'answer for A')
    const first = await run.done
    expect(first.result).toEqual({ a: 'A1 -> answer for A', b: 'B1 -> answer for B' })

    // Resume from the journal alone: every answer comes back, each to its own branch.
    const again = createInstantExecutor()
    const resumed = await startRun({ projectDir, resumeRunId: run.runId, executor: again, control: false })
    const second = await resumed.done
    expect(again.calls).toBe(0)
    expect(second.result).toEqual(first.result)
  })

  it('16.4 resuming with an edited script reuses the unchanged leading calls and runs the rest live', async () => {
    const projectDir = project()
    const v1 = `export const meta = { name: 'edit-me' }
const a = await agent('survey the code')
const b = await agent('change it: ' + a)
const c = await agent('verify it')
return [a, b, c]`
    const first = createInstantExecutor({ respond: (c) => `v1 ${c.prompt}` })
    const run = await startRun({ projectDir, script: v1, executor: first, control: false })
    expect((await run.done).status).toBe('completed')
    const v2 = v1.replace("'change it: '", "'change it carefully: '")
    const second = createInstantExecutor({ respond: (c) => `v2 ${c.prompt}` })
    const resumed = await startRun({ projectDir, resumeRunId: run.runId, script: v2, executor: second, control: false })
    const s = await resumed.done
    expect(s.status).toBe('completed')
    // The survey answers from the journal; the edited call and everything after it runs live (verify too, though its
    // prompt did not change: it follows the edit).
    expect(s.result).toEqual(['v1 survey the code', 'v2 change it carefully: v1 survey the code', 'v2 verify it'])
    expect(second.calls).toBe(2)
    expect(s.agents.cached).toBe(1)
    expect(readFileSync(join(run.runDir, 'script.js'), 'utf8')).toBe(v2)
    expect(readFileSync(join(run.runDir, 'script.previous.js'), 'utf8')).toBe(v1)
    // Resuming again with the same (now current) script answers everything from the journal.
    const third = createInstantExecutor()
    const again = await startRun({ projectDir, resumeRunId: run.runId, executor: third, control: false })
    expect((await again.done).result).toEqual(s.result)
    expect(third.calls).toBe(0)
  })

  it('13.1 an agent interrupted in flight runs once more on resume and answers the script\'s later call', async () => {
    const projectDir = project()
    const script = `export const meta = { name: 'gate-then-fix' }
const before = await agent('look first')
await gate('slow check')
const fixed = await agent('FIX the bug')
return [before, fixed]`
    // "Crash" while FIX is in flight: keep the run's files as they were at that moment, then end the process's run.
    const g = gatedExecutor()
    const gateOpen: { open?: () => void } = {}
    const run = await startRun({
      projectDir,
      script,
      executor: g.executor,
      control: false,
      snapshotThrottleMs: 20,
      gate: async () => ({ ok: true, exitCode: 0, output: '' }),
    })
    await g.finish('look first', 'looked')
    await waitFor('FIX in flight', () => g.asked.includes('FIX the bug'))
    const snapPath = join(run.runDir, 'snapshot.json')
    // The snapshot is throttled: wait for one that holds FIX itself as running (an older one may show 'look first').
    const fixRunning = () => {
      if (!existsSync(snapPath)) return false
      const snap = JSON.parse(readFileSync(snapPath, 'utf8'))
      const agents = (snap?.snapshot ?? snap)?.context?.agents ?? {}
      return Object.values(agents).some((a: any) => a.call?.prompt === 'FIX the bug' && a.status === 'running')
    }
    await waitFor('a snapshot with FIX running', fixRunning)
    const files = ['snapshot.json', 'journal.jsonl', 'run.json'].map((f) => [f, readFileSync(join(run.runDir, f), 'utf8')] as const)
    run.send({ type: 'STOP' })
    await run.done
    for (const [f, text] of files) writeFileSync(join(run.runDir, f), text)

    // Resume: the gate now takes a while, and the restored FIX finishes before the script gets to ask for it.
    const second = gatedExecutor()
    const resumed = await startRun({
      projectDir,
      resumeRunId: run.runId,
      executor: second.executor,
      control: false,
      gate: () => new Promise((resolve) => (gateOpen.open = () => resolve({ ok: true, exitCode: 0, output: '' }))),
    })
    await second.finish('FIX the bug', 'fixed once')
    await waitFor('the FIX answer journaled', () => readFileSync(join(run.runDir, 'journal.jsonl'), 'utf8').includes('fixed once'))
    await waitFor('the gate to be running', () => gateOpen.open)
    gateOpen.open!()
    const s = await resumed.done
    expect(s.status).toBe('completed')
    expect(s.result).toEqual(['looked', 'fixed once'])
    expect(second.asked).toEqual(['FIX the bug'])
  })

  it('13.3 --max-agents, --budget and --concurrency given to resume govern a restored snapshot', async () => {
    const projectDir = project()
    const script = `export const meta = { name: 'caps' }
const out = []
// As in Claude Code, agent() throws once the cap is reached: the script turns that into null.
for (let i = 0; i < 4; i++) out.push(await agent('step ' + i).catch(() => null))
return out`
    const g = gatedExecutor()
    const run = await startRun({ projectDir, script, executor: g.executor, control: false, snapshotThrottleMs: 20, maxAgents: 100 })
    await g.finish('step 0', 'zero')
    await waitFor('step 1 in flight', () => g.asked.includes('step 1'))
    const snapPath = join(run.runDir, 'snapshot.json')
    await waitFor('a snapshot with step 1 running', () => existsSync(snapPath) && /"running":\["/.test(readFileSync(snapPath, 'utf8')))
    const files = ['snapshot.json', 'journal.jsonl', 'run.json'].map((f) => [f, readFileSync(join(run.runDir, f), 'utf8')] as const)
    run.send({ type: 'STOP' })
    await run.done
    for (const [f, text] of files) writeFileSync(join(run.runDir, f), text)

    const executor = createInstantExecutor()
    const resumed = await startRun({ projectDir, resumeRunId: run.runId, executor, control: false, maxAgents: 3 })
    const s = await resumed.done
    expect(s.status).toBe('completed')
    // Two agents were asked for before the crash; the cap of 3 lets one more start, the fourth throws (null here).
    expect(s.result).toEqual(['zero', 'done: step 1', 'done: step 2', null])
    expect(resumed.view().log.some((l) => /cap of 3 agents/.test(l.message))).toBe(true)
    expect(JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8')).options.maxAgents).toBe(3)
  })
})

describe('one budget tally (15.2)', () => {
  it('the script\'s budget reads the tally that refuses agents, also on a resumed snapshot before any journal answer', async () => {
    const projectDir = project()
    const script = `export const meta = { name: 'tally' }
const first = budget.spent()
log('first read ' + first)
const a = await agent('one')
const b = await agent('two')
let c = 'ran'
const before = budget.remaining()
try { await agent('three') } catch (e) { c = 'refused' }
return { first, a, b, before, c, end: budget.spent() }`
    const g = gatedExecutor()
    const run = await startRun({ projectDir, script, executor: g.executor, control: false, snapshotThrottleMs: 20, budget: 100 })
    await g.finish('one', 'first answer')
    await waitFor('two in flight', () => g.asked.includes('two'))
    const snapPath = join(run.runDir, 'snapshot.json')
    // The snapshot is throttled: wait for one that holds 'two' itself as running (an older one may show 'one').
    await waitFor('a snapshot with two running', () => {
      if (!existsSync(snapPath)) return false
      const snap = JSON.parse(readFileSync(snapPath, 'utf8'))
      const agents = (snap?.snapshot ?? snap)?.context?.agents ?? {}
      return Object.values(agents).some((a: any) => a.call?.prompt === 'two' && a.status === 'running')
    })
    const files = ['snapshot.json', 'journal.jsonl', 'run.json'].map((f) => [f, readFileSync(join(run.runDir, f), 'utf8')] as const)
    run.send({ type: 'STOP' })
    await run.done
    for (const [f, text] of files) writeFileSync(join(run.runDir, f), text)

    // Resume with a budget of two agents' output (5 each): 'one' is already spent when the script starts.
    // The restored 'two' runs again at once; it finishes only once the script has read its budget.
    const second = gatedExecutor()
    const resumed = await startRun({ projectDir, resumeRunId: run.runId, executor: second.executor, control: false, budget: 10 })
    await waitFor('the script to read its budget', () => resumed.view().log.some((l) => l.message.startsWith('first read')))
    await second.finish('two', 'second answer')
    const s = await resumed.done
    expect(s.status).toBe('completed')
    // Before any journal answer reached the script, its budget already holds what the workflow counts (5, not 0),
    // and the call the script sees as over budget is the one the workflow refuses.
    expect(s.result).toEqual({ first: 5, a: 'first answer', b: 'second answer', before: 0, c: 'refused', end: 10 })
  })
})

describe('resuming a run killed while paused', () => {
  it('13.12 it goes on (resume means continue), rather than coming back paused with nobody to unpause it', async () => {
    const projectDir = project()
    const script = `export const meta = { name: 'paused-kill' }
const a = await agent('one')
const b = await agent('two')
return [a, b]`
    const g = gatedExecutor()
    const run = await startRun({ projectDir, script, executor: g.executor, control: false, snapshotThrottleMs: 20 })
    await waitFor('agent one in flight', () => g.asked.includes('one'))
    run.send({ type: 'PAUSE' })
    const snapPath = join(run.runDir, 'snapshot.json')
    await waitFor('a paused snapshot', () => /"paused":true/.test(readFileSync(snapPath, 'utf8')))
    const files = ['snapshot.json', 'journal.jsonl', 'run.json'].map((f) => [f, readFileSync(join(run.runDir, f), 'utf8')] as const)
    run.send({ type: 'STOP' })
    await run.done
    for (const [f, text] of files) writeFileSync(join(run.runDir, f), text)
    const executor = createInstantExecutor()
    const resumed = await startRun({ projectDir, resumeRunId: run.runId, executor, control: false })
    const s = await resumed.done
    expect(s.status).toBe('completed')
    expect(s.result).toEqual(['done: one', 'done: two'])
  })
})

describe('run files that cannot be written', () => {
  it('13.9 a snapshot write failing in its timer fails the run with a sentence instead of crashing the process', async () => {
    const projectDir = project()
    const script = `export const meta = { name: 'snapfail' }
const a = await agent('one')
const b = await agent('two')
return [a, b]`
    const g = gatedExecutor()
    const run = await startRun({ projectDir, script, executor: g.executor, control: false, snapshotThrottleMs: 20 })
    await waitFor('agent one in flight', () => g.asked.includes('one'))
    // snapshot.json becomes a directory that is not empty: every later atomic rename onto it fails.
    const { mkdirSync, rmSync: rm } = await import('node:fs')
    rm(join(run.runDir, 'snapshot.json'), { force: true })
    mkdirSync(join(run.runDir, 'snapshot.json', 'blocker'), { recursive: true })
    await g.finish('one', 'first')
    const s = await run.done
    expect(s.status).toBe('failed')
    expect(s.error).toMatch(/^Could not write the run's snapshot.* in .*; free disk space or fix the directory, then `ocdw resume` the run/)
    expect(JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8'))).toMatchObject({ status: 'failed' })
    expect(readFileSync(join(run.runDir, 'journal.jsonl'), 'utf8')).toContain('"first"')
  })
})

describe('infrastructure failures', () => {
  it('13.6 an infrastructure failure interrupts the run (no null for the script), keeps what finished, and resume completes it', async () => {
    const projectDir = project()
    const { InfrastructureError } = await import('../../src/opencode/infra-failure.js')
    const script = `export const meta = { name: 'infra' }
const a = await agent('first')
const b = await agent('second')
if (b === null) log('the script saw null')
const c = await agent('third')
return [a, b, c]`
    let down = true
    const asked: string[] = []
    const executor: AgentExecutor = {
      async run(call) {
        asked.push(call.prompt)
        if (call.prompt === 'second' && down) throw new InfrastructureError('OpenCode could not be reached (ECONNREFUSED), still after 4 attempts')
        return { result: `ok ${call.prompt}`, tokens: TOKENS, cost: 0 }
      },
    }
    const run = await startRun({ projectDir, script, executor, control: false })
    const s = await run.done
    expect(s.status).toBe('interrupted')
    expect(s.error).toMatch(/^The run was interrupted because OpenCode could not be reached \(ECONNREFUSED\), still after 4 attempts; the agents that finished are kept, and `ocdw resume` continues the run once that is fixed\.$/)
    expect(asked).toEqual(['first', 'second'])
    expect(run.view().log.some((l) => /saw null/.test(l.message))).toBe(false)
    expect(JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8')).status).toBe('interrupted')

    down = false
    const resumed = await startRun({ projectDir, resumeRunId: run.runId, executor, control: false })
    const s2 = await resumed.done
    expect(s2.status).toBe('completed')
    expect(s2.result).toEqual(['ok first', 'ok second', 'ok third'])
    expect(asked).toEqual(['first', 'second', 'second', 'third'])
  })
})
