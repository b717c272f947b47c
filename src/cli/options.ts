// Parsing of the flags shared by `run`, `resume` and `demo` (README "Usage"), into checked values.
import { UsageError } from './errors.js'

export interface RunFlags {
  args?: string
  yes?: boolean
  mode?: string
  server?: string
  serverPasswordEnv?: string
  offline?: boolean
  model?: string
  concurrency?: string
  maxAgents?: string
  budget?: string
  json?: boolean
  inspect?: boolean
  detach?: boolean
  quiet?: boolean
}

export function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a whole number of 1 or more, not "${value}".`)
  return n
}

/** `--args` is parsed by the shared use case (the schedule's cron line passes it back through it). */
export { parseArgs } from '../usecases/args.js'

export function parseMode(value: string | undefined): 'default' | 'auto' | 'bypass' {
  const mode = value ?? 'default'
  if (mode !== 'default' && mode !== 'auto' && mode !== 'bypass') {
    throw new UsageError(`--mode is default, auto or bypass, not "${mode}".`)
  }
  return mode
}

export function validateServerUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  try {
    const url = new URL(value)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http')
    return value.replace(/\/$/, '')
  } catch {
    throw new UsageError(`--server takes an http(s) URL such as http://127.0.0.1:4096, not "${value}".`)
  }
}
