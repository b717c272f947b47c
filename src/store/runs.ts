// Listing and finding the runs of a project (newest first). A run id prefix finds a run when it is unambiguous.
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { runsDir } from './paths.js'
import { readRunFile, type RunFile } from './run-file.js'

export interface RunEntry {
  dir: string
  run: RunFile
}

export class RunNotFoundError extends Error {
  readonly exitCode = 2
}

export function listRuns(projectDir: string): RunEntry[] {
  const root = runsDir(projectDir)
  if (!existsSync(root)) return []
  const out: RunEntry[] = []
  for (const id of readdirSync(root)) {
    const dir = join(root, id)
    try {
      out.push({ dir, run: readRunFile(dir) })
    } catch {
      /* not a run (or damaged beyond reading): `ocdw show <id>` explains it */
    }
  }
  return out.sort((a, b) => b.run.startedAt - a.run.startedAt || (a.run.id < b.run.id ? 1 : -1))
}

export function findRun(projectDir: string, idOrPrefix: string): RunEntry {
  const root = runsDir(projectDir)
  const ids = existsSync(root) ? readdirSync(root) : []
  const matches = ids.includes(idOrPrefix) ? [idOrPrefix] : ids.filter((id) => id.startsWith(idOrPrefix))
  if (matches.length === 0) {
    throw new RunNotFoundError(`There is no run "${idOrPrefix}" in ${projectDir}; \`ocdw ls\` lists this project's runs.`)
  }
  if (matches.length > 1) {
    throw new RunNotFoundError(`"${idOrPrefix}" matches ${matches.length} runs (${matches.slice(0, 5).join(', ')}); give more of the run id.`)
  }
  const dir = join(root, matches[0]!)
  return { dir, run: readRunFile(dir) }
}
