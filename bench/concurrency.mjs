// bench concurrency: the offline model rate-limits like a provider (429 with retry-after-ms past MAX_IN_FLIGHT chat
// requests in flight); 100 agents on the real `opencode serve`. ocdw's adaptive concurrency (the default, starting at
// 16) should converge near the threshold with no failed agent; the baseline in the same run is the same workload
// pinned at --concurrency 16. The in-flight figure is the time-average of answered requests at the model, from the
// offline model's request log (each line: when the request arrived and when it was answered).
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { createOpencodeExecutor } from '../dist/opencode/executor.js'
import { startRun } from '../dist/actors/runtime.js'
import { startOfflineTestbed } from '../dist/offline/testbed.js'
import { fanoutScript, machine, tempProject } from './lib.mjs'

const N = Number(process.env.BENCH_AGENTS ?? 100)
const MAX_IN_FLIGHT = Number(process.env.BENCH_MAX_IN_FLIGHT ?? 6)
const LATENCY = Number(process.env.BENCH_LATENCY_MS ?? 3000)
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
  const peak = Math.max(...lines.filter((l) => l.status === 200 && l.kind !== 'title').map((l) => l.inFlight))
  return { avgInFlight: busy / Math.max(1, t1 - t0), peak, rateLimited: lines.filter((l) => l.status === 429).length, requests: lines.length }
}

async function run(tag, concurrency) {
  const executor = createOpencodeExecutor({ client: bed.client, directory: p.dir, defaultModel: bed.model })
  const limits = []
  /** [time, limit] steps, for the time-average of the limit over the run. */
  const steps = []
  const t0 = performance.now()
  const handle = await startRun({ projectDir: p.dir, script: fanoutScript(N, 1).replace('bench agent', `bench ${tag} agent`), executor, concurrency, defaultModel: bed.model, control: false })
  handle.events.subscribe((ev) => {
    if (ev.type === 'concurrency') {
      limits.push(ev.limit)
      steps.push([performance.now(), ev.limit])
    }
    if (process.env.BENCH_VERBOSE && ev.type === 'log') console.log(`  ${tag}: ${ev.message}`)
  })
  const s = await handle.done
  const t1 = performance.now()
  const ms = t1 - t0
  executor.close()
  // The limit before the first event seen is where the run started (the event fired before this subscription).
  const avgLimit = (from) => {
    let at = t0
    let cur = concurrency ?? 16
    let area = 0
    for (const [t, l] of [...steps, [t1, 0]]) {
      area += Math.max(0, t - Math.max(at, from)) * cur
      at = Math.max(at, t)
      cur = l
    }
    return area / (t1 - from)
  }
  // Over the whole run, and over its second half (once the start at 16 has been corrected).
  return { ms, failed: N - s.agents.done, limits, avgLimit: avgLimit(t0), settledLimit: avgLimit(t0 + ms / 2), ...modelFigures() }
}

try {
  const adaptive = await run('adaptive', undefined)
  const pinned = await run('pinned', PINNED)
  const fmt = (r) =>
    `${(r.ms / 1000).toFixed(1)} s, ${r.failed} failed, limit ${r.avgLimit.toFixed(2)} on time-average (${r.settledLimit.toFixed(2)} over the second half), ` +
    `at the model ${r.avgInFlight.toFixed(2)} in flight on time-average (peak ${r.peak}), ${r.rateLimited} of ${r.requests} requests answered 429`
  console.log(`machine: ${machine()}; offline model: ${LATENCY} ms per answer, rate limit above ${MAX_IN_FLIGHT} in flight; ${N} agents`)
  console.log(`adaptive (from 16): ${fmt(adaptive)}; limit went ${adaptive.limits.join(' ')}`)
  console.log(`pinned --concurrency ${PINNED}: ${fmt(pinned)}`)
  // The metric: where the adaptive limit settled, against the model's threshold (1.00 = on it). The model-side
  // in-flight average is lower than the limit by each agent's time outside the model (session set-up in OpenCode).
  console.log(
    `bench concurrency: settled limit/threshold ${(adaptive.settledLimit / MAX_IN_FLIGHT).toFixed(2)} (adaptive: ${adaptive.failed} failed, ${adaptive.rateLimited} 429s, ` +
      `model in-flight ${adaptive.avgInFlight.toFixed(2)}/${MAX_IN_FLIGHT}; pinned ${PINNED}: ${pinned.failed} failed, ${pinned.rateLimited} 429s, model in-flight ${pinned.avgInFlight.toFixed(2)}/${MAX_IN_FLIGHT})`,
  )
} finally {
  await bed.stop()
  p.cleanup()
}
