// Finding a workflow by name: the project's saved ones win, then the personal ones, then the bundled ones that ship
// in this package's workflows/ folder. Used by `run --name`, the script's workflow() and the plugin.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { WorkflowResolver } from '../machines/types.js'
import { findSavedWorkflow, listSavedWorkflows } from '../store/saved-workflows.js'

export const BUNDLED_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../workflows')

export interface WorkflowEntry {
  name: string
  scope: 'project' | 'personal' | 'bundled'
  path: string
}

export function listBundledWorkflows(): WorkflowEntry[] {
  if (!existsSync(BUNDLED_DIR)) return []
  return readdirSync(BUNDLED_DIR)
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map((f) => ({ name: f.slice(0, -3), scope: 'bundled' as const, path: join(BUNDLED_DIR, f) }))
}

/** Every workflow a user can run, project before personal before bundled; a shadowed name is listed once. */
export function listAllWorkflows(projectDir: string): WorkflowEntry[] {
  const seen = new Set<string>()
  const out: WorkflowEntry[] = []
  for (const w of [...listSavedWorkflows(projectDir), ...listBundledWorkflows()]) {
    if (seen.has(w.name)) continue
    seen.add(w.name)
    out.push(w as WorkflowEntry)
  }
  return out
}

export class UnknownWorkflowError extends Error {
  readonly exitCode = 2
}

export function findWorkflow(projectDir: string, name: string): WorkflowEntry & { source: string } {
  const saved = findSavedWorkflow(projectDir, name)
  const entry = saved ?? listBundledWorkflows().find((w) => w.name === name)
  if (!entry) {
    const known = listAllWorkflows(projectDir).map((w) => w.name)
    throw new UnknownWorkflowError(
      `There is no workflow named "${name}"${known.length ? ` (known: ${known.join(', ')})` : ''}; \`ocdw workflows\` lists them.`,
    )
  }
  return { ...(entry as WorkflowEntry), source: readFileSync(entry.path, 'utf8') }
}

export function workflowResolver(projectDir: string): WorkflowResolver {
  return async (nameOrRef: string) => {
    // A path (x.js, ./x.js or /abs/x.js, e.g. from workflow({ scriptPath })) runs that file, relative to the project;
    // a bare name is looked up like `run --name`.
    if (nameOrRef.endsWith('.js')) {
      const path = resolve(projectDir, nameOrRef)
      if (!existsSync(path)) throw new Error(`workflow(): the file ${nameOrRef} does not exist.`)
      return { name: nameOrRef, source: readFileSync(path, 'utf8') }
    }
    const w = findWorkflow(projectDir, nameOrRef)
    return { name: w.name, source: w.source }
  }
}
