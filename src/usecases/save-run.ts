// Saving a run's script as a workflow you can run by name (`ocdw save`, the TUI's `s` key): the script becomes
// `.opencode/workflows/<name>.js` (or the personal folder) plus the `/<name>` OpenCode command
// (src/store/saved-workflows.ts does the writing and the refusals).
import { readFileSync } from 'node:fs'
import { descriptionOf } from '../script/meta.js'
import { saveWorkflow } from '../store/saved-workflows.js'
import { runPaths } from '../store/run-dir.js'

export interface SaveRunRequest {
  projectDir: string
  /** The run's directory (its script.js is what gets saved). */
  runDir: string
  name: string
  personal?: boolean
  force?: boolean
}

export interface SavedRun {
  path: string
  commandPath: string
  /** What to tell the user: where it went and how to run it. */
  message: string
}

export function saveRunAsWorkflow(r: SaveRunRequest): SavedRun {
  const source = readFileSync(runPaths(r.runDir).script, 'utf8')
  const saved = saveWorkflow({ projectDir: r.projectDir, name: r.name, source, description: descriptionOf(source), personal: r.personal, force: r.force })
  return { ...saved, message: `Saved ${r.name} to ${saved.path}; run it with \`ocdw run --name ${r.name}\` or /${r.name} in OpenCode` }
}
