// Where runs live: `.opencode/workflows/runs/<runId>/` of the project (DESIGN §5).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

export const RUNS_SUBDIR = join('.opencode', 'workflows', 'runs')

export function runsDir(projectDir: string): string {
  return join(projectDir, RUNS_SUBDIR)
}

/**
 * Keeps the runs folder out of `git status`: a `.gitignore` inside it that ignores everything, itself included, so
 * the project's own .gitignore is never edited. Written once; a file the user changed is left alone.
 */
export function ensureRunsIgnored(projectDir: string): void {
  const root = runsDir(projectDir)
  const file = join(root, '.gitignore')
  if (existsSync(file)) return
  mkdirSync(root, { recursive: true })
  try {
    writeFileSync(file, '# Written by ocdw: runs are local state (journals, agent output), not source.\n*\n', { flag: 'wx' })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err // another run wrote it first
  }
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
