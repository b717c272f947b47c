// `ocdw setup [--global] [--remove]`: adds the ocdw plugin to opencode.json without touching anything else, and
// writes the command files (/workflow, /workflows, /deep-research, /ultracode, one per saved workflow). Idempotent.
// It remembers what it changed (.opencode/ocdw-setup.json), so --remove restores the original config byte for byte
// (when it was not edited since) and deletes only the command files setup itself created.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { openCodeConfigDir } from '../store/saved-workflows.js'
import { allCommands } from './index.js'
import { commandFile } from './commands.js'

/** The plugin as OpenCode loads it: a file:// URL of this package's built entry (dist/plugin/index.js). */
export const PLUGIN_ENTRY = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), 'index.js')).href

interface SetupRecord {
  configPath: string
  /** The config file's bytes before setup, or null when setup created it. */
  original: string | null
  /** What setup wrote, to tell whether the user edited the file since. */
  written: string
  /** Command files setup created (files that were there before are never recorded, so never removed). */
  commandFiles: string[]
  /** Directories setup created (the command dir, .opencode), removed again by --remove when empty. */
  createdDirs?: string[]
}

export interface SetupResult {
  configPath: string
  changed: boolean
  commandFiles: string[]
}

function locations(projectDir: string, global: boolean) {
  const base = global ? openCodeConfigDir() : join(projectDir, '.opencode')
  const root = global ? base : projectDir
  // An existing opencode.jsonc is the config when there is no opencode.json (OpenCode reads both).
  const json = join(root, 'opencode.json')
  const jsonc = join(root, 'opencode.jsonc')
  return {
    configPath: !existsSync(json) && existsSync(jsonc) ? jsonc : json,
    commandDir: join(base, 'command'),
    recordPath: join(base, 'ocdw-setup.json'),
  }
}

function refuseSymlink(path: string): void {
  if (existsSync(path) && lstatSync(path).isSymbolicLink()) {
    throw Object.assign(new Error(`${path} is a symbolic link; ocdw setup does not write through links. Edit the file it points to by hand.`), { exitCode: 2 })
  }
}

/** Our entry in a `plugin` list: the file URL setup writes, or the package name (`ocdw`, `ocdw@1.2.3`). */
function isOurEntry(p: unknown): boolean {
  const name = Array.isArray(p) ? p[0] : p
  return typeof name === 'string' && (name === PLUGIN_ENTRY || name === 'ocdw' || name.startsWith('ocdw@'))
}

export function setup(projectDir: string, opts: { global?: boolean } = {}): SetupResult {
  const global = Boolean(opts.global)
  const loc = locations(projectDir, global)
  refuseSymlink(loc.configPath)
  const baseExisted = existsSync(dirname(loc.commandDir))
  const original = existsSync(loc.configPath) ? readFileSync(loc.configPath, 'utf8') : null
  let config: Record<string, unknown> = {}
  if (original !== null) {
    try {
      config = JSON.parse(original)
    } catch (err) {
      throw Object.assign(new Error(`${loc.configPath} is not plain JSON (${(err as Error).message}); fix it, or add "${PLUGIN_ENTRY}" to its "plugin" list by hand.`), { exitCode: 2 })
    }
    if (!config || typeof config !== 'object' || Array.isArray(config)) {
      throw Object.assign(new Error(`${loc.configPath} does not hold a JSON object; fix it, or add "${PLUGIN_ENTRY}" to its "plugin" list by hand.`), { exitCode: 2 })
    }
  }
  const prior = readRecord(loc.recordPath)
  const plugins = Array.isArray(config.plugin) ? [...(config.plugin as unknown[])] : []
  let changed = false
  let record: SetupRecord = prior ?? { configPath: loc.configPath, original, written: original ?? '', commandFiles: [] }
  if (!plugins.some(isOurEntry)) {
    config = { ...(original === null ? { $schema: 'https://opencode.ai/config.json' } : {}), ...config, plugin: [...plugins, PLUGIN_ENTRY] }
    const permission = withWorkflowAsk(config.permission)
    if (permission !== undefined) config.permission = permission
    const written = JSON.stringify(config, null, 2) + '\n'
    mkdirSync(dirname(loc.configPath), { recursive: true })
    writeFileSync(loc.configPath, written)
    if (!baseExisted && existsSync(dirname(loc.commandDir))) (record.createdDirs ??= []).push(dirname(loc.commandDir))
    changed = true
    // Keep the very first original across repeated setups (unless the record is stale), so --remove goes back to
    // before ocdw.
    const keepPrior = prior !== undefined && prior.written === original
    record = { ...record, configPath: loc.configPath, original: keepPrior ? prior.original : original, written }
  }

  const createdDirs = new Set(record.createdDirs ?? [])
  for (const dir of [dirname(loc.commandDir), loc.commandDir]) {
    if (existsSync(dir)) continue
    mkdirSync(dir, { recursive: true })
    createdDirs.add(dir)
  }
  refuseSymlink(loc.commandDir)
  const commandFiles: string[] = []
  const created = new Set(record.commandFiles)
  for (const def of allCommands(projectDir, global ? 'personal' : 'project')) {
    const path = join(loc.commandDir, `${def.name}.md`)
    refuseSymlink(path)
    const text = commandFile(def)
    if (!existsSync(path)) {
      writeFileSync(path, text)
      created.add(path)
    } else if (created.has(path) && readFileSync(path, 'utf8') !== text) {
      writeFileSync(path, text) // ours, from an older setup: bring it up to date
    }
    // A file that was there before setup (the user's own command, or `ocdw save`'s) is left as it is.
    commandFiles.push(path)
  }
  writeRecord(loc.recordPath, { ...record, commandFiles: [...created], createdDirs: [...createdDirs] })
  return { configPath: loc.configPath, changed, commandFiles }
}

export function removeSetup(projectDir: string, opts: { global?: boolean } = {}): { configPath: string; restored: 'original' | 'entry-removed' | 'nothing' } {
  const loc = locations(projectDir, Boolean(opts.global))
  const record = readRecord(loc.recordPath)
  const configPath = record?.configPath ?? loc.configPath
  let restored: 'original' | 'entry-removed' | 'nothing' = 'nothing'
  if (existsSync(configPath)) {
    refuseSymlink(configPath)
    const current = readFileSync(configPath, 'utf8')
    if (record && sameAsWritten(current, record.written) && record.original !== current) {
      if (record.original === null) rmSync(configPath)
      else writeFileSync(configPath, record.original)
      restored = 'original'
    } else {
      // Edited since setup (or no record): take out only our entry, keep the user's changes.
      try {
        const config = JSON.parse(current)
        if (Array.isArray(config.plugin)) {
          const kept = config.plugin.filter((p: unknown) => !isOurEntry(p))
          if (kept.length !== config.plugin.length) {
            if (kept.length) config.plugin = kept
            else delete config.plugin
            writeFileSync(configPath, JSON.stringify(config, null, 2) + '\n')
            restored = 'entry-removed'
          }
        }
      } catch {
        /* not JSON any more: leave it alone */
      }
    }
  }
  for (const f of record?.commandFiles ?? []) rmSync(f, { force: true })
  rmSync(loc.recordPath, { force: true })
  // Deepest first: the command dir, then .opencode (only when setup made them and they are empty now).
  for (const dir of [...(record?.createdDirs ?? [])].sort((a, b) => b.length - a.length)) {
    if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir)
  }
  return { configPath, restored }
}

/**
 * Approval inside OpenCode: the workflow tool asks through OpenCode's permission prompt (permission "workflow",
 * pattern = the workflow's name), which only prompts when the config says "ask". Setup makes that the default unless
 * the config already says something about "workflow" or allows everything (`"allow"` or `{ "*": "allow" }`).
 * Returns the new permission value, or undefined to leave it alone. (A plugin `config` hook cannot do this: OpenCode
 * 1.18 ignores permission changes made there.)
 */
function withWorkflowAsk(permission: unknown): unknown {
  if (permission === undefined) return { workflow: 'ask' }
  if (!permission || typeof permission !== 'object' || Array.isArray(permission)) return undefined
  const rules = permission as Record<string, unknown>
  if ('workflow' in rules || rules['*'] === 'allow') return undefined
  return { ...rules, workflow: 'ask' }
}

/** The config still says what setup wrote: the same bytes, or the same JSON once OpenCode added its "$schema". */
function sameAsWritten(current: string, written: string): boolean {
  if (current === written) return true
  try {
    const a = JSON.parse(current)
    const b = JSON.parse(written)
    if (b.$schema === undefined) delete a.$schema
    return JSON.stringify(a) === JSON.stringify(b)
  } catch {
    return false
  }
}

function readRecord(path: string): SetupRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as SetupRecord
    return r && typeof r === 'object' && Array.isArray(r.commandFiles) ? r : undefined
  } catch {
    return undefined
  }
}

function writeRecord(path: string, record: SetupRecord): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(record, null, 2) + '\n')
}
