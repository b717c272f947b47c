// ocdw's own settings files: `ocdw.json` in the user's OpenCode config dir and in the project's `.opencode/`. Each
// section has its reader beside its domain (models: opencode/model-alias.ts, concurrency: actors/adaptive-concurrency.ts,
// servers: opencode/server-list.ts); this module only knows where the files are and reads them, user's first, so a
// reader lets the project's entries win by applying them last.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { openCodeConfigDir } from './saved-workflows.js'

export function projectConfigPath(projectDir: string): string {
  return join(projectDir, '.opencode', 'ocdw.json')
}

export function userConfigPath(): string {
  return join(openCodeConfigDir(), 'ocdw.json')
}

export interface OcdwConfigFile {
  path: string
  /** The user's file is theirs; the project's ships with a repository and is untrusted. */
  scope: 'user' | 'project'
  /** The parsed JSON, when it parsed. */
  parsed?: unknown
  /** Why it did not parse. */
  error?: string
}

/** The ocdw.json files that exist, user's first then the project's. Never throws. */
export function readOcdwConfigs(projectDir: string): OcdwConfigFile[] {
  const out: OcdwConfigFile[] = []
  for (const [scope, path] of [['user', userConfigPath()], ['project', projectConfigPath(projectDir)]] as const) {
    if (!existsSync(path)) continue
    try {
      out.push({ path, scope, parsed: JSON.parse(readFileSync(path, 'utf8')) })
    } catch (e) {
      out.push({ path, scope, error: (e as Error).message })
    }
  }
  return out
}

/** One top-level section of a parsed ocdw.json (undefined when absent). */
export function configSection(file: OcdwConfigFile, name: string): unknown {
  return (file.parsed as Record<string, unknown> | null | undefined)?.[name]
}
