// Shared bench helpers: a temp project, a fan-out script of N agents, peak-RSS sampling, and the figures line.
import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export function tempProject(prefix = 'ocdw-bench-') {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/**
 * A temp project on the disk the repository is on (BENCH_DIR to choose another), not in the system temp dir, which
 * may be tmpfs (memory): the runtime benches measure what writing a run costs on an ordinary disk. Only for benches
 * that start no OpenCode server (it would find this repository's config above the project).
 */
export function diskProject(prefix = 'ocdw-bench-') {
  const base = process.env.BENCH_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.cache', 'ocdw-bench')
  mkdirSync(base, { recursive: true })
  const dir = mkdtempSync(join(base, prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

const TMPFS_MAGIC = 0x01021994

/** What kind of storage `dir` is on, for the figures line: tmpfs (memory) or a disk. */
export function storageOf(dir) {
  try {
    return statfsSync(dir).type === TMPFS_MAGIC ? 'tmpfs (memory)' : 'disk (not tmpfs)'
  } catch {
    return 'unknown'
  }
}

/** A script that runs `n` agents in batches of parallel() over `phases` phases. */
export function fanoutScript(n, phases = 4) {
  return `export const meta = { name: 'bench-fanout', phases: [${Array.from({ length: phases }, (_, i) => `{ title: 'P${i}' }`).join(', ')}] }
const per = Math.ceil(${n} / ${phases})
let total = 0
for (let p = 0; p < ${phases}; p++) {
  phase('P' + p)
  const count = Math.min(per, ${n} - p * per)
  const out = await parallel(Array.from({ length: count }, (_, i) => () => agent('bench agent ' + p + '-' + i)))
  total += out.filter(Boolean).length
}
return { total }
`
}

export function sampleRss(intervalMs = 20) {
  let peak = process.memoryUsage().rss
  const samples = []
  const t = setInterval(() => {
    const rss = process.memoryUsage().rss
    samples.push(rss)
    if (rss > peak) peak = rss
  }, intervalMs)
  return {
    stop() {
      clearInterval(t)
      return { peak, samples }
    },
  }
}

export const mb = (bytes) => (bytes / 1024 / 1024).toFixed(1)

export function machine() {
  return `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`
}
