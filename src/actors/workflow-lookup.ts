// Finding a workflow by name: the project's saved ones win, then the personal ones, then the bundled ones that ship
// in this package's workflows/ folder. Used by `run --name`, the script's workflow() and the plugin.
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { WorkflowResolver } from '../machines/types.js'
import { findSavedWorkflow, listSavedWorkflows } from '../store/saved-workflows.js'
import { descriptionOf } from '../script/meta.js'

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
    // A path (x.js, ./x.js or /abs/x.js, e.g. from workflow({ scriptPath })) runs that file, but only inside the
    // project; a bare name is looked up like `run --name`.
    if (nameOrRef.endsWith('.js')) {
      const path = projectFile(projectDir, nameOrRef)
      return { name: nameOrRef, source: readFileSync(path, 'utf8') }
    }
    const w = findWorkflow(projectDir, nameOrRef)
    return { name: w.name, source: w.source }
  }
}

/**
 * The real path of a workflow file named by path, refused unless it lies inside the project (symlinks resolved first,
 * so a link in the project cannot point outside): a script must not run arbitrary .js files from elsewhere on disk.
 */
function projectFile(projectDir: string, ref: string): string {
  const path = resolve(projectDir, ref)
  if (!existsSync(path)) throw new Error(`workflow(): the file ${ref} does not exist.`)
  const real = realpathSync(path)
  const rel = relative(realpathSync(projectDir), real)
  if (rel === '' || rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) {
    throw new Error(`workflow("${ref}") names a file outside the project, which a workflow may not run; save it with \`ocdw save\` and call it by name, or move it into the project.`)
  }
  return real
}

/** A listed workflow's meta description; undefined when the file cannot be read or does not parse. */
export function workflowDescription(w: WorkflowEntry | { path: string }): string | undefined {
  try {
    return descriptionOf(readFileSync(w.path, 'utf8'))
  } catch {
    return undefined
  }
}
