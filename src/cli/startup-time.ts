// How long starting OpenCode usually takes on this machine, so the CLI can say so while it waits ("usually ~3 s").
// A few recent durations are kept in the user's cache dir (XDG_CACHE_HOME/ocdw); a missing or damaged file only means
// no estimate yet.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

const KEEP = 5

function file(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ocdw', 'opencode-start.json')
}

function recent(): number[] {
  try {
    const xs = JSON.parse(readFileSync(file(), 'utf8'))
    return Array.isArray(xs) ? xs.filter((x): x is number => typeof x === 'number' && x > 0 && x < 600_000) : []
  } catch {
    return []
  }
}

/** The median of recent start durations in whole seconds (at least 1), or undefined before the first start. */
export function usualStartSeconds(): number | undefined {
  const xs = recent().sort((a, b) => a - b)
  if (!xs.length) return undefined
  return Math.max(1, Math.round(xs[Math.floor(xs.length / 2)] / 1000))
}

export function recordStartMs(ms: number): void {
  try {
    mkdirSync(join(file(), '..'), { recursive: true, mode: 0o700 })
    writeFileSync(file(), JSON.stringify([...recent(), Math.round(ms)].slice(-KEEP)) + '\n', { mode: 0o600 })
  } catch {
    // a read-only cache dir only costs the estimate
  }
}

/** The line shown while OpenCode starts. */
export function startingLine(what: string): string {
  const usual = usualStartSeconds()
  return `ocdw: starting ${what}… ${usual ? `usually ~${usual} s` : 'the first start can take a few seconds'}\n`
}
