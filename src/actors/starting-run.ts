// A run whose OpenCode server is still starting has no run dir yet (the run id comes once the server answers), so the
// process leaves a small marker next to the runs dir meanwhile: `ocdw ls` and the TUI list it as `starting`. The marker goes
// once the run exists or the process ends; one whose process died (kill -9) is removed by the next reader, so a run is
// never shown as starting for ever.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { ensureRunsIgnored } from '../store/paths.js'
import { STARTING_MARKER_PREFIX, startingMarker, workflowsStateDir } from '../store/run-dir.js'
import { processAlive, processStartTime } from '../store/temp-dirs.js'

/** Next to the runs dir, not in it (everything in runs/ is a run): `.opencode/workflows/.starting-<pid>.json`. */
const markerDir = workflowsStateDir

export interface StartingRun {
  pid: number
  name: string
  startedAt: number
}

/** Marks this process as starting a run named `name`; the returned function (idempotent) removes the marker. */
export function markStarting(projectDir: string, name: string): () => void {
  const file = startingMarker(projectDir, process.pid)
  try {
    mkdirSync(markerDir(projectDir), { recursive: true })
    ensureRunsIgnored(projectDir) // the marker stays out of `git status`, like the runs
    writeFileSync(file, JSON.stringify({ pid: process.pid, start: processStartTime(process.pid), name, startedAt: Date.now() }) + '\n', { mode: 0o600 })
  } catch {
    return () => undefined // a read-only project still runs; it just is not listed while starting
  }
  const remove = () => {
    process.off('exit', remove)
    rmSync(file, { force: true })
  }
  process.on('exit', remove)
  return remove
}

/** The runs of this project whose process is starting; markers of dead processes are removed. Never throws. */
export function listStartingRuns(projectDir: string): StartingRun[] {
  const out: StartingRun[] = []
  let names: string[]
  try {
    names = readdirSync(markerDir(projectDir)).filter((n) => n.startsWith(STARTING_MARKER_PREFIX))
  } catch {
    return out
  }
  for (const n of names) {
    const file = join(markerDir(projectDir), n)
    try {
      const m = JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown; start?: unknown; name?: unknown; startedAt?: unknown }
      if (typeof m.pid !== 'number' || !processAlive(m.pid, typeof m.start === 'string' ? m.start : undefined)) {
        rmSync(file, { force: true })
        continue
      }
      out.push({ pid: m.pid, name: typeof m.name === 'string' ? m.name : '?', startedAt: typeof m.startedAt === 'number' ? m.startedAt : 0 })
    } catch {
      // vanished meanwhile (the run started) or unreadable: not listed
    }
  }
  return out
}
