// bench concurrency: the offline model rate-limits like a provider (429 with retry-after-ms past MAX_IN_FLIGHT chat
// requests in flight); 120 agents on the real `opencode serve`. ocdw's adaptive concurrency (the default, starting at
// 16) should converge near the threshold with no failed agent; the baseline in the same run is the same workload
// pinned at --concurrency 16. The in-flight figure is the time-average of answered requests at the model, from the
// offline model's request log (each line: when the request arrived and when it was answered).
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createOpencodeExecutor } from '../dist/actors/opencode-executor.js'
import { startRun } from '../dist/actors/runtime.js'
import { startOfflineTestbed } from '../dist/offline/testbed.js'
import { fanoutScript, machine, tempProject } from './lib.mjs'

const N = Number(process.env.BENCH_AGENTS ?? 120)
const MAX_IN_FLIGHT = Number(process.env.BENCH_MAX_IN_FLIGHT ?? 6)
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 1500)
const PINNED = 16
const p = tempProject()
const logFile = join(p.dir, 'model.log')
const bed = await startOfflineTestbed({ projectDir: p.dir, latencyMs: LATENCY, maxInFlight: MAX_IN_FLIGHT, logFile })

/** Time-average of answered requests in flight, and the count of 429s, over the log lines written since `from`. */
function modelFigures() {
  const lines = readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
  rmSync(logFile, { force: true })
  const answered = lines.filter((l) => l.status === 200 && l.kind !== 'title' && l.startedAt).map((l) => [Date.parse(l.startedAt), Date.parse(l.at)])
  const t0 = Math.min(...answered.map((a) => a[0]))
  const t1 = Math.max(...answered.map((a) => a[1]))
  const busy = answered.reduce((n, [a, b]) => n + (b - a), 0)
  return { avgInFlight: busy / Math.max(1, t1 - t0), rateLimited: lines.filter((l) => l.status === 429).length, requests: lines.length }
}

async function run(tag, concurrency) {
  const executor = createOpencodeExecutor({ client: bed.client, directory: p.dir, defaultModel: bed.model })
  const limits = []
  const t0 = performance.now()
  const handle = await startRun({ projectDir: p.dir, script: fanoutScript(N, 1).replace('bench agent', `bench ${tag} agent`), executor, concurrency, defaultModel: bed.model, control: false })
  handle.events.subscribe((ev) => {
    if (ev.type === 'concurrency') limits.push(ev.limit)
    if (process.env.BENCH_VERBOSE && ev.type === 'log') console.log(`  ${tag}: ${ev.message}`)
  })
  const s = await handle.done
  const ms = performance.now() - t0
  executor.close()
  return { ms, failed: N - s.agents.done, limits, ...modelFigures() }
}

try {
  const adaptive = await run('adaptive', undefined)
  const pinned = await run('pinned', PINNED)
  const fmt = (r) => `${(r.ms / 1000).toFixed(1)} s, ${r.failed} failed, time-average ${r.avgInFlight.toFixed(2)} in flight at the model, ${r.rateLimited} of ${r.requests} requests answered 429`
  console.log(`machine: ${machine()}; offline model: ${LATENCY} ms per answer, rate limit above ${MAX_IN_FLIGHT} in flight; ${N} agents`)
  console.log(`adaptive (from 16): ${fmt(adaptive)}; limit went ${adaptive.limits.join(' ')}`)
  console.log(`pinned --concurrency ${PINNED}: ${fmt(pinned)}`)
  console.log(
    `bench concurrency: in-flight/threshold ${(adaptive.avgInFlight / MAX_IN_FLIGHT).toFixed(2)} (adaptive ${adaptive.failed} failed, ${adaptive.rateLimited} 429s, ${(adaptive.ms / 1000).toFixed(1)} s; ` +
      `pinned ${PINNED}: ${pinned.failed} failed, ${pinned.rateLimited} 429s, ${(pinned.ms / 1000).toFixed(1)} s)`,
  )
} finally {
  await bed.stop()
  p.cleanup()
}
