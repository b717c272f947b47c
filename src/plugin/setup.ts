// `ocdw setup [--global] [--remove]`: adds the ocdw plugin to opencode.json without touching anything else, and
// writes the command files (/workflow, /workflows, /deep-research, /ultracode, one per saved workflow). Idempotent.
// It remembers what it changed, so --remove restores the original config byte for byte (when it was not edited since).
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { openCodeConfigDir } from '../store/saved-workflows.js'
import { allCommands } from './index.js'
import { commandFile } from './commands.js'

export const PLUGIN_ENTRY = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), 'index.js')).href

interface SetupRecord {
  configPath: string
  /** The config file's bytes before setup, or null when setup created it. */
  original: string | null
  /** What setup wrote, to tell whether the user edited the file since. */
  written: string
  commandFiles: string[]
}

export interface SetupResult {
  configPath: string
  changed: boolean
  commandFiles: string[]
}

function locations(projectDir: string, global: boolean) {
  const base = global ? openCodeConfigDir() : join(projectDir, '.opencode')
  return {
    configPath: global ? join(base, 'opencode.json') : join(projectDir, 'opencode.json'),
    commandDir: join(base, 'command'),
    recordPath: join(base, 'ocdw-setup.json'),
  }
}

function refuseSymlink(path: string): void {
  if (existsSync(path) && lstatSync(path).isSymbolicLink()) {
    throw Object.assign(new Error(`${path} is a symbolic link; ocdw setup does not write through links. Edit the file it points to by hand.`), { exitCode: 2 })
  }
}

export function setup(projectDir: string, opts: { global?: boolean } = {}): SetupResult {
  const loc = locations(projectDir, Boolean(opts.global))
  refuseSymlink(loc.configPath)
  const original = existsSync(loc.configPath) ? readFileSync(loc.configPath, 'utf8') : null
  let config: Record<string, unknown> = {}
  if (original !== null) {
    try {
      config = JSON.parse(original)
    } catch (err) {
      throw Object.assign(new Error(`${loc.configPath} is not plain JSON (${(err as Error).message}); fix it, or add "${PLUGIN_ENTRY}" to its "plugin" list by hand.`), { exitCode: 2 })
    }
  }
  const plugins = Array.isArray(config.plugin) ? [...(config.plugin as unknown[])] : []
  const already = plugins.some((p) => p === PLUGIN_ENTRY || (Array.isArray(p) && p[0] === PLUGIN_ENTRY))
  let changed = false
  if (!already) {
    config = { ...(original === null ? { $schema: 'https://opencode.ai/config.json' } : {}), ...config, plugin: [...plugins, PLUGIN_ENTRY] }
    const written = JSON.stringify(config, null, 2) + '\n'
    mkdirSync(dirname(loc.configPath), { recursive: true })
    writeFileSync(loc.configPath, written)
    changed = true
    const prior = readRecord(loc.recordPath)
    // Keep the very first original across repeated setups, so --remove goes back to before ocdw.
    const record: SetupRecord = { configPath: loc.configPath, original: prior ? prior.original : original, written, commandFiles: [] }
    writeRecord(loc.recordPath, record)
  }
  const commandFiles: string[] = []
  mkdirSync(loc.commandDir, { recursive: true })
  for (const def of allCommands(projectDir)) {
    const path = join(loc.commandDir, `${def.name}.md`)
    refuseSymlink(path)
    const text = commandFile(def)
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) writeFileSync(path, text)
    commandFiles.push(path)
  }
  const record = readRecord(loc.recordPath)
  if (record) writeRecord(loc.recordPath, { ...record, commandFiles: [...new Set([...record.commandFiles, ...commandFiles])] })
  else writeRecord(loc.recordPath, { configPath: loc.configPath, original, written: original ?? '', commandFiles })
  return { configPath: loc.configPath, changed, commandFiles }
}

export function removeSetup(projectDir: string, opts: { global?: boolean } = {}): { configPath: string; restored: 'original' | 'entry-removed' | 'nothing' } {
  const loc = locations(projectDir, Boolean(opts.global))
  const record = readRecord(loc.recordPath)
  let restored: 'original' | 'entry-removed' | 'nothing' = 'nothing'
  if (existsSync(loc.configPath)) {
    refuseSymlink(loc.configPath)
    const current = readFileSync(loc.configPath, 'utf8')
    if (record && current === record.written) {
      if (record.original === null) rmSync(loc.configPath)
      else writeFileSync(loc.configPath, record.original)
      restored = 'original'
    } else {
      // Edited since setup: take out only our entry, keep the user's changes.
      try {
        const config = JSON.parse(current)
        if (Array.isArray(config.plugin)) {
          const kept = config.plugin.filter((p: unknown) => p !== PLUGIN_ENTRY && !(Array.isArray(p) && p[0] === PLUGIN_ENTRY))
          if (kept.length !== config.plugin.length) {
            if (kept.length) config.plugin = kept
            else delete config.plugin
            writeFileSync(loc.configPath, JSON.stringify(config, null, 2) + '\n')
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
  return { configPath: loc.configPath, restored }
}

function readRecord(path: string): SetupRecord | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as SetupRecord
  } catch {
    return undefined
  }
}

function writeRecord(path: string, record: SetupRecord): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(record, null, 2) + '\n')
}
