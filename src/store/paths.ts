// Run ids, and keeping the runs out of git. Where runs live is src/store/run-dir.ts (re-exported here for callers).
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { writeFileAtomic } from './atomic.js'
import { workflowsGitignore } from './run-dir.js'

export { runDir, runsDir, scheduleLogsDir } from './run-dir.js'

const IGNORE_LINES = ['/runs/', '/schedule-logs/', '/.gitignore', '/.starting-*']
const IGNORE_HEADER = '# Written by ocdw: runs and scheduled-run logs are local state, not source (saved workflows here are yours to commit).'

/**
 * Keeps the runs (and schedule logs) out of `git status` with a `.gitignore` in `.opencode/workflows/` that also
 * ignores itself, so neither the project's own .gitignore nor the runs folder (which holds only runs) is touched.
 * A .gitignore already there keeps its lines; ours are appended once.
 */
export function ensureRunsIgnored(projectDir: string): void {
  const file = workflowsGitignore(projectDir)
  const current = existsSync(file) ? readFileSync(file, 'utf8') : ''
  const have = new Set(current.split('\n').map((l) => l.trim()))
  const missing = IGNORE_LINES.filter((l) => !have.has(l))
  if (!missing.length) return
  mkdirSync(dirname(file), { recursive: true })
  const text = current ? (current.endsWith('\n') ? current : current + '\n') + missing.join('\n') + '\n' : [IGNORE_HEADER, ...missing].join('\n') + '\n'
  writeFileAtomic(file, text)
}

/** `wf_YYYYMMDD_xxxxxx`: sortable by day, unique by the random suffix. */
export function newRunId(date: Date, random: () => string): string {
  const d = date.toISOString().slice(0, 10).replace(/-/g, '')
  return `wf_${d}_${random().toLowerCase().replace(/[^a-z0-9]/g, '').padEnd(6, '0').slice(0, 6)}`
}

export const RUN_ID_PATTERN = /^wf_\d{8}_[a-z0-9]{6}$/
