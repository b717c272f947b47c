// Saved workflows (docs/ARCHITECTURE.md §4): `.opencode/workflows/<name>.js` in the project, `<config>/opencode/workflows/<name>.js`
// personal. Claude Code's own folders are read too (issue 16.5), each after the `.opencode` one of the same scope, so
// a team's existing Claude workflows run by name: `.claude/workflows/` (project) and `~/.claude/workflows/` (personal).
// ocdw only ever saves into the `.opencode` folders. Saving also writes an OpenCode command file so `/<name>` works inside OpenCode. Never through a symlink,
// never over an existing file without `force`.
import { existsSync, mkdirSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { isSymlink, writeFileAtomic } from './atomic.js'
import { workflowsStateDir } from './run-dir.js'

export interface SavedWorkflow {
  name: string
  scope: 'project' | 'personal'
  path: string
}

export const WORKFLOW_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i

export class SaveRefusedError extends Error {
  readonly exitCode = 2
}

/** OpenCode's config dir: OPENCODE_CONFIG_DIR, else $XDG_CONFIG_HOME/opencode, else ~/.config/opencode. */
export function openCodeConfigDir(): string {
  if (process.env.OPENCODE_CONFIG_DIR) return process.env.OPENCODE_CONFIG_DIR
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'opencode')
}

/** The project's saved workflows: the same folder whose runs/ holds the runs (src/store/run-dir.ts). */
export function projectWorkflowsDir(projectDir: string): string {
  return workflowsStateDir(projectDir)
}

export function personalWorkflowsDir(): string {
  return join(openCodeConfigDir(), 'workflows')
}

/** Claude Code's project workflows folder. */
export function claudeProjectWorkflowsDir(projectDir: string): string {
  return join(projectDir, '.claude', 'workflows')
}

/** Claude Code's personal workflows folder (~/.claude/workflows). */
export function claudePersonalWorkflowsDir(): string {
  return join(homedir(), '.claude', 'workflows')
}

function list(dir: string, scope: SavedWorkflow['scope']): SavedWorkflow[] {
  if (!existsSync(dir)) return []
  let files: string[]
  try {
    files = readdirSync(dir)
  } catch {
    // Not a readable directory (a file named like it, no permission): it holds no workflows.
    return []
  }
  return files
    .filter((f) => f.endsWith('.js') && WORKFLOW_NAME.test(f.slice(0, -3)))
    .sort()
    .map((f) => ({ name: f.slice(0, -3), scope, path: join(dir, f) }))
}

/**
 * Project workflows first (`.opencode`, then `.claude`), then personal ones (OpenCode's, then `~/.claude`). A name
 * found twice is still listed each time; the first one wins when run by name.
 */
export function listSavedWorkflows(projectDir: string): SavedWorkflow[] {
  return [
    ...list(projectWorkflowsDir(projectDir), 'project'),
    ...list(claudeProjectWorkflowsDir(projectDir), 'project'),
    ...list(personalWorkflowsDir(), 'personal'),
    ...list(claudePersonalWorkflowsDir(), 'personal'),
  ]
}

export function findSavedWorkflow(projectDir: string, name: string): SavedWorkflow | undefined {
  return listSavedWorkflows(projectDir).find((w) => w.name === name)
}

/** The prompt of the `/<name>` command: `$ARGUMENTS` becomes the workflow's `args`. */
export function workflowCommandTemplate(name: string): string {
  return `Call the \`workflow\` tool with \`name\` set to "${name}" and \`args\` set to the following text, exactly as
written (it may be empty): $ARGUMENTS
When it finishes, show the user the result.`
}

/** The OpenCode command file for `/<name>`. */
export function workflowCommandFile(name: string, description?: string): string {
  const desc = description ?? `Run the saved ocdw workflow "${name}"`
  return `---\ndescription: ${JSON.stringify(desc)}\n---\n${workflowCommandTemplate(name)}\n`
}

export function saveWorkflow(o: {
  projectDir: string
  name: string
  source: string
  description?: string
  personal?: boolean
  force?: boolean
}): { path: string; commandPath: string } {
  if (!WORKFLOW_NAME.test(o.name)) {
    throw new SaveRefusedError(`"${o.name}" is not a usable workflow name; use letters, digits, '.', '_' or '-' (it becomes the /${o.name} command).`)
  }
  const base = o.personal ? openCodeConfigDir() : join(o.projectDir, '.opencode')
  const dir = o.personal ? personalWorkflowsDir() : projectWorkflowsDir(o.projectDir)
  const commandDir = join(base, 'command')
  for (const d of [base, dir, commandDir]) {
    if (isSymlink(d)) throw new SaveRefusedError(`Refusing to save into ${d}: it is a symbolic link; replace it with a real directory.`)
  }
  const path = join(dir, `${o.name}.js`)
  const commandPath = join(commandDir, `${o.name}.md`)
  if (existsSync(path) && !o.force) {
    throw new SaveRefusedError(`A workflow named "${o.name}" already exists at ${path}; pass --force to overwrite it, or pick another name.`)
  }
  mkdirSync(dir, { recursive: true })
  mkdirSync(commandDir, { recursive: true })
  writeFileAtomic(path, o.source)
  writeFileAtomic(commandPath, workflowCommandFile(o.name, o.description))
  return { path, commandPath }
}
