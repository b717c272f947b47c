// bench resume: resume a finished 1,000-agent run. Every agent answers from the journal: wall time (goal <= 1.5 s)
// and executor calls (goal 0), against the original run's wall time (the baseline).
import { createInstantExecutor } from '../dist/actors/instant-executor.js'
import { startRun } from '../dist/actors/runtime.js'
import { fanoutScript, machine, tempProject } from './lib.mjs'

const N = Number(process.env.BENCH_AGENTS ?? 1000)
const p = tempProject()
try {
  const first = createInstantExecutor()
  let t0 = performance.now()
  const run = await startRun({ projectDir: p.dir, script: fanoutScript(N), executor: first, concurrency: 16, maxAgents: N + 10, control: false })
  const s1 = await run.done
  const original = performance.now() - t0
  const again = createInstantExecutor()
  t0 = performance.now()
  const resumed = await startRun({ projectDir: p.dir, resumeRunId: run.runId, executor: again, control: false })
  const s2 = await resumed.done
  const wall = performance.now() - t0
  if (s2.agents.cached !== N) throw new Error(`resume answered ${s2.agents.cached}/${N} agents from the journal`)
  console.log(`machine: ${machine()}`)
  console.log(`original run: ${original.toFixed(0)} ms, ${first.calls} executor calls, ${s1.status}`)
  console.log(`resume: ${wall.toFixed(0)} ms (goal <= 1500), ${again.calls} executor calls (goal 0), ${s2.agents.cached} answered from the journal, ${s2.status}`)
  console.log(`bench resume: wall_ms ${wall.toFixed(0)} (model calls ${again.calls}, ratio vs original run ${(wall / original).toFixed(2)})`)
} finally {
  p.cleanup()
}
