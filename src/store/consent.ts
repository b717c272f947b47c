// Consent to run a workflow without asking (approval "Yes, and don't ask again"; `--mode auto`). Stored per
// (project path, workflow name, script hash) in the user's OpenCode config dir, so a changed script asks again.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { writeFileAtomic } from './atomic.js'
import { openCodeConfigDir } from './saved-workflows.js'

export interface ConsentKey {
  projectDir: string
  name: string
  scriptHash: string
}

interface ConsentFile {
  version: 1
  entries: (ConsentKey & { at: number })[]
}

export function consentFilePath(): string {
  return join(openCodeConfigDir(), 'ocdw', 'consent.json')
}

function read(): ConsentFile {
  const path = consentFilePath()
  if (!existsSync(path)) return { version: 1, entries: [] }
  try {
    const f = JSON.parse(readFileSync(path, 'utf8')) as ConsentFile
    return Array.isArray(f.entries) ? f : { version: 1, entries: [] }
  } catch {
    return { version: 1, entries: [] }
  }
}

export function hasConsent(key: ConsentKey): boolean {
  const projectDir = resolve(key.projectDir)
  return read().entries.some((e) => e.projectDir === projectDir && e.name === key.name && e.scriptHash === key.scriptHash)
}

export function recordConsent(key: ConsentKey): void {
  const file = read()
  const projectDir = resolve(key.projectDir)
  file.entries = file.entries.filter((e) => !(e.projectDir === projectDir && e.name === key.name))
  file.entries.push({ projectDir, name: key.name, scriptHash: key.scriptHash, at: Date.now() })
  mkdirSync(dirname(consentFilePath()), { recursive: true })
  writeFileAtomic(consentFilePath(), JSON.stringify(file, null, 2) + '\n')
}
