// bench soak: 500 agents, 16 in flight, on the real `opencode serve` + offline model. The runtime's heap is sampled
// (after a GC when run with --expose-gc) through the run; the trend is the last quarter's mean against the second
// quarter's (the baseline, after warm-up): no growth means a ratio near 1.
import { createOpencodeExecutor } from '../dist/opencode/executor.js'
import { startRun } from '../dist/actors/runtime.js'
import { startOfflineTestbed } from '../dist/offline/testbed.js'
import { fanoutScript, machine, mb, tempProject } from './lib.mjs'

const N = Number(process.env.BENCH_AGENTS ?? 500)
const p = tempProject()
const bed = await startOfflineTestbed({ projectDir: p.dir, latencyMs: Number(process.env.BENCH_LATENCY_MS ?? 50) })
try {
  const executor = createOpencodeExecutor({ client: bed.client, directory: p.dir, defaultModel: bed.model })
  const samples = []
  const timer = setInterval(() => {
    globalThis.gc?.()
    samples.push(process.memoryUsage())
  }, 250)
  const t0 = performance.now()
  const run = await startRun({ projectDir: p.dir, script: fanoutScript(N, 10), executor, concurrency: 16, maxAgents: N + 10, control: false })
  const s = await run.done
  const wall = performance.now() - t0
  clearInterval(timer)
  executor.close()
  if (s.agents.done !== N) throw new Error(`soak: ${s.agents.done}/${N} done (${s.status} ${s.error ?? ''})`)
  const q = Math.floor(samples.length / 4)
  const mean = (xs, k) => xs.reduce((a, x) => a + x[k], 0) / xs.length
  const second = samples.slice(q, 2 * q)
  const last = samples.slice(3 * q)
  const ratio = mean(last, 'heapUsed') / mean(second, 'heapUsed')
  console.log(`machine: ${machine()}${globalThis.gc ? '' : ' (run with --expose-gc for steadier figures)'}`)
  console.log(`${N} agents at 16 in flight: ${(wall / 1000).toFixed(1)} s, ${samples.length} samples`)
  console.log(`heap: 2nd quarter ${mb(mean(second, 'heapUsed'))} MB, last quarter ${mb(mean(last, 'heapUsed'))} MB; rss last quarter ${mb(mean(last, 'rss'))} MB`)
  console.log(`bench soak: heap_growth_ratio ${ratio.toFixed(2)} (last vs second quarter; no trend ~ 1.0)`)
} finally {
  await bed.stop()
  p.cleanup()
}
