// Where runs live: `.opencode/workflows/runs/<runId>/` of the project (DESIGN §5).
import { join } from 'node:path'

export const RUNS_SUBDIR = join('.opencode', 'workflows', 'runs')

export function runsDir(projectDir: string): string {
  return join(projectDir, RUNS_SUBDIR)
}

export function runDir(projectDir: string, runId: string): string {
  return join(runsDir(projectDir), runId)
}

/** `wf_YYYYMMDD_xxxxxx`: sortable by day, unique by the random suffix. */
export function newRunId(date: Date, random: () => string): string {
  const d = date.toISOString().slice(0, 10).replace(/-/g, '')
  return `wf_${d}_${random().toLowerCase().replace(/[^a-z0-9]/g, '').padEnd(6, '0').slice(0, 6)}`
}

export const RUN_ID_PATTERN = /^wf_\d{8}_[a-z0-9]{6}$/
