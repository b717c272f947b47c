// `ocdw setup [--global] [--remove]`: adds the ocdw plugin (and `"workflow": "ask"`) to OpenCode's config without
// touching anything else, comments included (opencode.json or opencode.jsonc, edited with jsonc-parser), and writes
// the command files (/workflow, /workflows, /deep-research, /ultracode, one per saved workflow). Idempotent.
//
// --remove takes out exactly what setup added, even after the user edited the file. `.opencode/ocdw-setup.json` is
// only a hint (a repository can ship one): --remove touches nothing but what ocdw computes itself — the config file
// setup edits (and in it only entries setup adds, found by value) and its own command files by name in its own
// command directory, each only if its content is still what ocdw wrote.
import { createHash } from 'node:crypto'
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { applyEdits, modify, parse, printParseErrorCode, type FormattingOptions, type ParseError } from 'jsonc-parser'
import { openCodeConfigDir } from '../store/saved-workflows.js'
import { allCommands } from './index.js'
import { commandFile } from './commands.js'

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The built plugin entry of this copy of ocdw as a file:// URL (dist/plugin/index.js). */
export const PLUGIN_ENTRY = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), 'index.js')).href

export interface PluginReference {
  /** What goes into the `plugin` list. */
  value: string
  /** Set when the reference only works on this machine (an absolute clone path). */
  warning?: string
}

/**
 * The plugin reference a team can commit: the package name when this ocdw is an installed package (it sits in a
 * node_modules directory), else the absolute file URL of this clone, with a warning that teammates need the same
 * path (or the package).
 */
export function pluginReference(packageRoot = PACKAGE_ROOT, entry = PLUGIN_ENTRY): PluginReference {
  let name = 'ocdw'
  try {
    name = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')).name || name
  } catch {
    /* keep the default name */
  }
  if (packageRoot.split(sep).includes('node_modules')) return { value: name }
  return {
    value: entry,
    warning: `ocdw is not an installed package here, so the config names this clone by its absolute path (${entry}), which works on this machine only; for a config teammates can share, install ocdw as a package (npm install -D ${name}) and run \`ocdw setup\` again.`,
  }
}

/** An entry of a `plugin` list that setup may have written: this clone's file URL, or the package name (with a version). */
export function isOurEntry(p: unknown, ref = pluginReference()): boolean {
  const value = Array.isArray(p) ? p[0] : p
  if (typeof value !== 'string') return false
  return value === ref.value || value === PLUGIN_ENTRY || value === 'ocdw' || /^ocdw@[^/\s]+$/.test(value)
}

interface SetupHint {
  /** Setup created the config file. */
  createdConfig?: boolean
  /** Setup added `"workflow": "ask"` to the permission settings. */
  addedPermission?: boolean
  /** Command files setup wrote: name → sha256 of the content it wrote. */
  commands?: Record<string, string>
  /** Directories setup created (the command dir, .opencode), removed by --remove when empty. */
  createdDirs?: string[]
}

export interface SetupResult {
  configPath: string
  changed: boolean
  commandFiles: string[]
  warning?: string
}

function locations(projectDir: string, global: boolean) {
  const base = global ? openCodeConfigDir() : join(resolve(projectDir), '.opencode')
  const root = global ? base : resolve(projectDir)
  // An existing opencode.jsonc is the config when there is no opencode.json (OpenCode reads both).
  const json = join(root, 'opencode.json')
  const jsonc = join(root, 'opencode.jsonc')
  return {
    base,
    configPath: !existsSync(json) && existsSync(jsonc) ? jsonc : json,
    commandDir: join(base, 'command'),
    hintPath: join(base, 'ocdw-setup.json'),
  }
}

function refuseSymlink(path: string): void {
  if (existsSync(path) && lstatSync(path).isSymbolicLink()) {
    throw Object.assign(new Error(`${path} is a symbolic link; ocdw setup does not write through links. Edit the file it points to by hand.`), { exitCode: 2 })
  }
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const SAFE_NAME = /^[A-Za-z0-9_-]{1,100}$/

/** The indentation the file already uses, so added lines look like the user's own. */
function formatting(text: string): FormattingOptions {
  const indent = /\n([ \t]+)\S/.exec(text)?.[1]
  if (indent?.startsWith('\t')) return { insertSpaces: false, tabSize: 1, eol: '\n' }
  return { insertSpaces: true, tabSize: indent?.length ?? 2, eol: text.includes('\r\n') ? '\r\n' : '\n' }
}

/** The config as a JSONC tree, or an error sentence naming the file. */
function parseConfig(path: string, text: string): Record<string, unknown> {
  if (text.trim() === '') return {}
  const errors: ParseError[] = []
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false })
  if (errors.length) {
    const e = errors[0]
    throw Object.assign(new Error(`${path} is not valid JSON with comments (${printParseErrorCode(e.error)} at offset ${e.offset}); fix it, or add the ocdw plugin to its "plugin" list by hand.`), { exitCode: 2 })
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw Object.assign(new Error(`${path} does not hold a JSON object; fix it, or add the ocdw plugin to its "plugin" list by hand.`), { exitCode: 2 })
  }
  return value as Record<string, unknown>
}

function edit(text: string, path: (string | number)[], value: unknown, fmt: FormattingOptions, insertAt?: number): string {
  return applyEdits(text, modify(text, path, value, { formattingOptions: fmt, ...(insertAt !== undefined ? { getInsertionIndex: () => insertAt } : {}) }))
}

function readHint(path: string): SetupHint {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8'))
    return h && typeof h === 'object' && !Array.isArray(h) ? (h as SetupHint) : {}
  } catch {
    return {}
  }
}

function writeHint(path: string, hint: SetupHint): void {
  refuseSymlink(path)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(hint, null, 2) + '\n')
}

export function setup(projectDir: string, opts: { global?: boolean } = {}): SetupResult {
  const global = Boolean(opts.global)
  const loc = locations(projectDir, global)
  const ref = pluginReference()
  refuseSymlink(loc.configPath)
  const hint = readHint(loc.hintPath)
  const createdDirs = new Set((hint.createdDirs ?? []).filter((d) => d === loc.base || d === loc.commandDir))
  if (!existsSync(loc.base)) {
    mkdirSync(loc.base, { recursive: true })
    createdDirs.add(loc.base)
  }

  const existed = existsSync(loc.configPath)
  const original = existed ? readFileSync(loc.configPath, 'utf8') : ''
  const config = parseConfig(loc.configPath, original)
  let text = existed && original.trim() !== '' ? original : '{}\n'
  const fmt = formatting(original)
  let changed = false
  const plugins = Array.isArray(config.plugin) ? (config.plugin as unknown[]) : undefined
  if (!plugins?.some((p) => isOurEntry(p, ref))) {
    if (!existed) text = edit(text, ['$schema'], 'https://opencode.ai/config.json', fmt)
    text = plugins ? edit(text, ['plugin', plugins.length], ref.value, fmt, plugins.length) : edit(text, ['plugin'], [ref.value], fmt)
    changed = true
  }
  if (wantsWorkflowAsk(config.permission)) {
    text = config.permission === undefined ? edit(text, ['permission'], { workflow: 'ask' }, fmt) : edit(text, ['permission', 'workflow'], 'ask', fmt)
    hint.addedPermission = true
    changed = true
  }
  if (changed) {
    mkdirSync(dirname(loc.configPath), { recursive: true })
    writeFileSync(loc.configPath, text)
    if (!existed) hint.createdConfig = true
  }

  if (!existsSync(loc.commandDir)) {
    mkdirSync(loc.commandDir, { recursive: true })
    createdDirs.add(loc.commandDir)
  }
  refuseSymlink(loc.commandDir)
  const commands: Record<string, string> = {}
  for (const [name, digest] of Object.entries(hint.commands ?? {})) if (SAFE_NAME.test(name) && typeof digest === 'string') commands[name] = digest
  const commandFiles: string[] = []
  for (const def of allCommands(projectDir, global ? 'personal' : 'project')) {
    if (!SAFE_NAME.test(def.name)) continue
    const path = join(loc.commandDir, `${def.name}.md`)
    refuseSymlink(path)
    const content = commandFile(def)
    const ours = existsSync(path) && commands[def.name] === sha256(readFileSync(path, 'utf8'))
    if (!existsSync(path) || (ours && readFileSync(path, 'utf8') !== content)) {
      // New, or ours from an older setup and unedited since: (re)write it.
      writeFileSync(path, content)
      commands[def.name] = sha256(content)
    }
    // A file that was there before setup (the user's own command, or `ocdw save`'s) is left as it is.
    commandFiles.push(path)
  }
  writeHint(loc.hintPath, { ...hint, commands, createdDirs: [...createdDirs] })
  return { configPath: loc.configPath, changed, commandFiles, warning: ref.warning }
}

export interface RemoveResult {
  configPath: string
  /** What happened to the config: our entries taken out, the file (setup's own) deleted, or nothing of ours found. */
  config: 'entries-removed' | 'deleted' | 'nothing'
  removedCommands: string[]
  /** Command files setup wrote that were edited since, so they were kept. */
  keptCommands: string[]
}

export function removeSetup(projectDir: string, opts: { global?: boolean } = {}): RemoveResult {
  const loc = locations(projectDir, Boolean(opts.global))
  const hint = readHint(loc.hintPath)
  const ref = pluginReference()
  let outcome: RemoveResult['config'] = 'nothing'
  if (existsSync(loc.configPath)) {
    refuseSymlink(loc.configPath)
    const original = readFileSync(loc.configPath, 'utf8')
    let config: Record<string, unknown> | undefined
    try {
      config = parseConfig(loc.configPath, original)
    } catch {
      config = undefined // not parseable any more: leave it alone
    }
    if (config) {
      const fmt = formatting(original)
      let text = original
      const plugins = Array.isArray(config.plugin) ? (config.plugin as unknown[]) : []
      // Last first, so earlier indices stay valid.
      for (let i = plugins.length - 1; i >= 0; i--) if (isOurEntry(plugins[i], ref)) text = edit(text, ['plugin', i], undefined, fmt)
      if (plugins.length && plugins.every((p) => isOurEntry(p, ref))) text = edit(text, ['plugin'], undefined, fmt)
      const permission = config.permission as Record<string, unknown> | undefined
      if (hint.addedPermission && permission && typeof permission === 'object' && permission.workflow === 'ask') {
        text = Object.keys(permission).length === 1 ? edit(text, ['permission'], undefined, fmt) : edit(text, ['permission', 'workflow'], undefined, fmt)
      }
      if (text !== original) {
        outcome = 'entries-removed'
        const left = parse(text) as Record<string, unknown>
        const onlySchema = left && Object.keys(left).every((k) => k === '$schema')
        if (hint.createdConfig && onlySchema) {
          rmSync(loc.configPath)
          outcome = 'deleted'
        } else {
          writeFileSync(loc.configPath, text)
        }
      }
    }
  }

  const removedCommands: string[] = []
  const keptCommands: string[] = []
  if (existsSync(loc.commandDir) && !lstatSync(loc.commandDir).isSymbolicLink()) {
    for (const [name, digest] of Object.entries(hint.commands ?? {})) {
      if (!SAFE_NAME.test(name)) continue
      const path = join(loc.commandDir, `${name}.md`)
      if (!existsSync(path) || lstatSync(path).isSymbolicLink()) continue
      if (sha256(readFileSync(path, 'utf8')) === digest) {
        rmSync(path)
        removedCommands.push(path)
      } else keptCommands.push(path)
    }
  }
  if (existsSync(loc.hintPath) && !lstatSync(loc.hintPath).isSymbolicLink()) rmSync(loc.hintPath)
  // Deepest first: the command dir, then .opencode — only ocdw's own directories, and only when empty now.
  for (const dir of [loc.commandDir, loc.base]) {
    if (!(hint.createdDirs ?? []).includes(dir)) continue
    if (existsSync(dir) && !lstatSync(dir).isSymbolicLink() && readdirSync(dir).length === 0) rmdirSync(dir)
  }
  return { configPath: loc.configPath, config: outcome, removedCommands, keptCommands }
}

/**
 * Approval inside OpenCode: the workflow tool asks through OpenCode's permission prompt (permission "workflow"),
 * which only prompts when the config says "ask". Setup makes that the default unless the config already says
 * something about "workflow" or allows everything (`"allow"` or `{ "*": "allow" }`). (A plugin `config` hook cannot
 * do this: OpenCode 1.18 ignores permission changes made there.)
 */
function wantsWorkflowAsk(permission: unknown): boolean {
  if (permission === undefined) return true
  if (!permission || typeof permission !== 'object' || Array.isArray(permission)) return false
  const rules = permission as Record<string, unknown>
  return !('workflow' in rules) && rules['*'] !== 'allow'
}
