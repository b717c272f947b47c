// Parsing of the flags shared by `run`, `resume` and `demo` (README "Usage"), into checked values.
import type { Command } from 'commander'
import { UsageError } from './errors.js'
import { checkServerUrl, pairServers, type ServerSpec } from '../opencode/server-list.js'
import type { SessionsMode } from '../opencode/run-parent-session.js'

export interface RunFlags {
  args?: string
  yes?: boolean
  mode?: string
  /** --server, repeatable (a pool of servers). */
  server?: string | string[]
  serverPasswordEnv?: string | string[]
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

/** --server's URL without its trailing slash; a bad one is a sentence and exit 2 (checkServerUrl). */
export function validateServerUrl(value: string | undefined): string | undefined {
  return value === undefined ? undefined : checkServerUrl(value)
}

/** --server (repeatable: a pool) and --server-password-env, as `run` and `resume` take them; `otherwise` says what
 *  happens without --server. */
export function addServerFlags(cmd: Command, otherwise: string): Command {
  return cmd
    .option('--server <url>', `use a running OpenCode server; repeat for a pool of servers (${otherwise})`, collect)
    .option('--server-password-env <name>', "with --server: the environment variable holding the server's password (default OPENCODE_SERVER_PASSWORD); once for all, or once per --server", collect)
}

/** Commander collector for a repeatable option (`--server a --server b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value]
}

/** --server (once or more) with --server-password-env (once for all, or once per server) as checked server specs. */
export function serverSpecs(urls: string | string[] | undefined, passwordEnvs: string | string[] | undefined): ServerSpec[] | undefined {
  const list = [urls ?? []].flat().map((u) => validateServerUrl(u)!)
  return list.length ? pairServers(list, [passwordEnvs ?? []].flat()) : undefined
}

/** The one --server-password-env given, for OPENCODE_SERVER_URL or the user's server list (the last one, if repeated). */
export function lastOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[value.length - 1] : value
}

/** --sessions: what happens to the run's OpenCode sessions afterwards (opencode/run-parent-session.ts). */
export function parseSessionsMode(value: string | undefined): SessionsMode {
  if (value === undefined || value === 'keep' || value === 'delete-on-success' || value === 'delete') return value ?? 'keep'
  throw new UsageError(`--sessions ${value} is not a sessions mode; use keep, delete-on-success or delete.`)
}
