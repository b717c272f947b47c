// bench overhead: 1,000 agents through the whole actor runtime (sandbox, workflow/phase/agent actors, journal,
// snapshots, agent records) on the instant in-process executor, against a bare Promise loop calling the same
// executor. The run is written to a disk, not tmpfs (BENCH_DIR to choose where). Both sides are warmed up first (the
// runtime by a 5,000-agent run: the first run compiles the sandbox's WebAssembly, and the JIT optimises the hot paths
// over the first few thousand agents). Prints ms/agent (wall and CPU) for both, the ratio, and peak RSS.
import { createInstantExecutor } from '../dist/actors/instant-executor.js'
import { startRun } from '../dist/actors/runtime.js'
import { readFileSync } from 'node:fs'
import { diskProject, fanoutScript, machine, mb, sampleRss, storageOf } from './lib.mjs'

const N = Number(process.env.BENCH_AGENTS ?? 1000)
const CONCURRENCY = 16

async function baseline() {
  const ex = createInstantExecutor()
  const signal = new AbortController().signal
  const t0 = performance.now()
  let next = 0
  const worker = async () => {
    while (next < N) {
      const i = next++
      await ex.run({ key: `k${i}`, prompt: `bench agent ${i}`, phase: 'P', opts: {} }, { signal, emit() {} })
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  return performance.now() - t0
}

async function runtime(n = N) {
  const p = diskProject()
  try {
    const rss = sampleRss()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const run = await startRun({ projectDir: p.dir, script: fanoutScript(n), executor: createInstantExecutor(), concurrency: CONCURRENCY, maxAgents: n + 10, control: false })
    const summary = await run.done
    const ms = performance.now() - t0
    const cpu = process.cpuUsage(c0)
    const { peak } = rss.stop()
    if (summary.status !== 'completed' || summary.agents.done !== n) throw new Error(`bench run ended ${summary.status} with ${summary.agents.done}/${n} agents`)
    return { ms, cpuMs: (cpu.user + cpu.system) / 1000, peak, storage: storageOf(p.dir) }
  } finally {
    p.cleanup()
  }
}

await baseline() // warm up
const base = await baseline()
await runtime(5000) // warm up: the JIT optimises the runtime's hot paths over the first few thousand agents
const rt = await runtime()
console.log(`machine: ${machine()}`)
console.log(`baseline (bare Promise loop): ${base.toFixed(1)} ms total, ${(base / N).toFixed(4)} ms/agent`)
console.log(`ocdw runtime: ${rt.ms.toFixed(1)} ms total, ${(rt.ms / N).toFixed(3)} ms/agent (goal <= 0.5; ${(rt.cpuMs / N).toFixed(3)} ms/agent of CPU time, which a loaded machine does not inflate as much), peak RSS ${mb(rt.peak)} MB, run written to ${rt.storage}`)
console.log(`overhead per agent: ${((rt.ms - base) / N).toFixed(3)} ms`)
console.log(`bench overhead: ms/agent ${(rt.ms / N).toFixed(3)} (CPU ${(rt.cpuMs / N).toFixed(3)} ms/agent; ratio vs bare loop ${(rt.ms / Math.max(base, 0.001)).toFixed(1)}; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})`)
