// Which script the workflow tool runs: `scriptPath` (a file in the project) wins over `script` (the text) and `name`
// (a saved or bundled workflow), as in Claude Code's tool contract; or, for `resumeFromRunId`, the script of the run
// being resumed (an id, a prefix, or "latest").
import { readFileSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { isLive } from '../actors/run-reader.js'
import { findWorkflow } from '../actors/workflow-lookup.js'
import { findRun, listRuns } from '../store/runs.js'
import { runPaths } from '../store/run-dir.js'

export function loadSource(a: { script?: string; name?: string; scriptPath?: string }, projectDir: string): string {
  // scriptPath wins over script and name (Claude Code's contract).
  if (a.scriptPath) {
    const path = isAbsolute(a.scriptPath) ? a.scriptPath : resolve(projectDir, a.scriptPath)
    try {
      return readFileSync(path, 'utf8')
    } catch {
      throw new Error(`The workflow script ${a.scriptPath} cannot be read; give a path relative to ${projectDir}.`)
    }
  }
  if (a.script) return a.script
  if (a.name) return findWorkflow(projectDir, a.name).source
  throw new Error('The workflow tool needs one of: scriptPath (a script file), script (the source), name (a saved or bundled workflow), or resumeFromRunId.')
}

/**
 * The run to resume: the id (or an unambiguous prefix) given, or for "latest" the newest run of the project that
 * ended without completing (stopped, failed, or interrupted: still marked running with no live process), preferring
 * runs started from this session. A run still live in this plugin is refused: it would be run twice.
 */
export function resumableRunId(rt: { live: ReadonlyMap<string, unknown> }, projectDir: string, sessionID: string, wanted: string): string {
  let id: string
  if (wanted === 'latest') {
    const candidates = listRuns(projectDir).filter((r) => !['completed', 'denied'].includes(r.run.status) && !rt.live.has(r.run.id) && !isLive(r.dir))
    const pick = candidates.find((r) => (r.run.options as { parentSessionId?: string }).parentSessionId === sessionID) ?? candidates[0]
    if (!pick) throw new Error('There is no stopped or interrupted ocdw run in this project to resume; workflow_status lists the runs.')
    id = pick.run.id
  } else {
    id = findRun(projectDir, wanted).run.id
  }
  if (rt.live.has(id)) {
    throw new Error(`Run ${id} is still running; stop it first (workflow_control with action "stop"), then resume it.`)
  }
  return id
}

export function readRunScript(projectDir: string, runId: string): string {
  const path = runPaths(findRun(projectDir, runId).dir).script
  try {
    return readFileSync(path, 'utf8')
  } catch {
    throw new Error(`The run ${runId} has no readable script (${path}); it cannot be resumed. Start the workflow again instead.`)
  }
}
