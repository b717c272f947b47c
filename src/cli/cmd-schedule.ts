// `ocdw schedule add|ls|rm`: scheduled runs of a saved (or bundled) workflow through the user's own crontab (the
// system scheduler, no daemon of ours). Adding records consent for the workflow's current script, so cron runs it
// without a prompt; a changed script is then refused (exit 3, in the log) until it is scheduled again. Each
// scheduled run is an ordinary run in `ocdw ls`. OCDW_CRONTAB names the crontab program (tests point it at a fake
// one so they never touch a real user's crontab).
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { findWorkflow } from '../actors/workflow-lookup.js'
import { parseScript } from '../script/meta.js'
import { consentSubjectOf, hasConsentFor, recordConsentFor } from '../usecases/approval-policy.js'
import { ensureRunsIgnored, scheduleLogsDir } from '../store/paths.js'
import { appendLines, cronCommand, cronProblem, entryLines, parseEntries, removeEntries, type ScheduleEntry } from '../store/schedule.js'
import { sanitizeLine } from '../machines/sanitize.js'
import { UsageError } from './errors.js'
import { parseArgs, positiveInt, validateServerUrl } from './options.js'

const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/ocdw.js')

function crontabProgram(): string {
  return process.env.OCDW_CRONTAB || 'crontab'
}

function crontabFailed(what: string, r: ReturnType<typeof spawnSync>): Error {
  const err = r.error as NodeJS.ErrnoException | undefined
  if (err?.code === 'ENOENT') {
    return new UsageError(`The crontab program (${crontabProgram()}) was not found; install cron (Debian/Ubuntu: apt-get install cron) to schedule runs.`)
  }
  const why = (String(r.stderr ?? '').trim() || err?.message || `exit ${r.status}`).split('\n')[0]
  return new Error(`Could not ${what} the crontab (${sanitizeLine(why)}); check that \`crontab -l\` works for this user.`)
}

function readCrontab(): string {
  const r = spawnSync(crontabProgram(), ['-l'], { encoding: 'utf8' })
  if (r.status === 0) return r.stdout
  // A user without a crontab yet: `crontab -l` says "no crontab for <user>" and exits 1.
  if (r.status === 1 && /no crontab/i.test(r.stderr ?? '')) return ''
  throw crontabFailed('read', r)
}

function writeCrontab(text: string): void {
  const r = spawnSync(crontabProgram(), ['-'], { input: text, encoding: 'utf8' })
  if (r.status !== 0) throw crontabFailed('write', r)
}

/** Environment the scheduled run needs to find the same consent and OpenCode config as this shell (cron's is bare). */
function carriedEnv(): Record<string, string> {
  const env: Record<string, string> = {}
  for (const k of ['OPENCODE_CONFIG_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'XDG_CACHE_HOME']) {
    const v = process.env[k]
    if (v) env[k] = v
  }
  return env
}

function noNewlines(what: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new UsageError(`The ${what} contains a line break, which a crontab line cannot hold; use a value without one.`)
  return value
}

function projectEntries(projectDir: string): ScheduleEntry[] {
  return parseEntries(readCrontab()).filter((e) => e.projectDir === projectDir)
}

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description("scheduled runs of a saved workflow, installed in your crontab")

  schedule
    .command('add')
    .description('run a saved or bundled workflow on a cron schedule (consent is recorded now)')
    .argument('<name>', 'the workflow (`ocdw workflows` lists them)')
    .requiredOption('--cron <expr>', 'when, as a cron expression: "0 3 * * *" is every day at 03:00')
    .option('--args <json|text>', "the script's `args` (JSON if it parses, else the text)")
    .option('--offline', 'run on the bundled offline model')
    .option('--model <provider/model>', 'default model for the agents')
    .option('--server <url>', 'use this running OpenCode server')
    .option('--budget <tokens>', 'token budget of each run')
    .action(addSchedule)

  schedule.command('ls').description("this project's scheduled runs").option('--json', 'as JSON').action(listSchedules)

  schedule
    .command('rm')
    .description('remove a scheduled run (by id, or by workflow name when it is scheduled once)')
    .argument('<idOrName>')
    .action(removeSchedule)
}

interface AddFlags {
  cron: string
  args?: string
  offline?: boolean
  model?: string
  server?: string
  budget?: string
}

/** The `ocdw run` flags a scheduled run carries, checked now (a bad one would only fail at 3 a.m.). */
function scheduledRunFlags(flags: AddFlags): string[] {
  const runFlags: string[] = []
  if (flags.offline) runFlags.push('--offline')
  if (flags.model) runFlags.push('--model', noNewlines('--model', flags.model))
  if (flags.server) runFlags.push('--server', validateServerUrl(flags.server)!)
  if (flags.budget) runFlags.push('--budget', String(positiveInt(flags.budget, '--budget')))
  return runFlags
}

async function addSchedule(name: string, flags: AddFlags): Promise<void> {
  const projectDir = process.cwd()
  const problem = cronProblem(flags.cron)
  if (problem) throw new UsageError(`--cron "${flags.cron}" is not a cron expression: ${problem}.`)
  const w = findWorkflow(projectDir, name)
  const parsed = parseScript(w.source)
  const args = parseArgs(flags.args)
  const runFlags = scheduledRunFlags(flags)
  const id = `sched_${randomBytes(4).toString('hex').slice(0, 6)}`
  const entry: ScheduleEntry = {
    id,
    name: noNewlines('workflow name', w.name),
    projectDir: noNewlines('project path', projectDir),
    cron: flags.cron.trim(),
    ...(args !== undefined ? { args: JSON.stringify(args) } : {}),
    flags: runFlags,
    log: join(scheduleLogsDir(projectDir), `${id}.log`),
    createdAt: Date.now(),
  }
  const command = cronCommand(entry, { node: process.execPath, bin: BIN, env: carriedEnv() })
  const before = readCrontab()
  mkdirSync(dirname(entry.log), { recursive: true })
  ensureRunsIgnored(projectDir) // keep the logs out of `git status`, like the runs
  // Consent for this exact script and the sub-workflows it names: the scheduled run is not asked, and a changed
  // script (or sub-workflow) is refused.
  recordConsentFor(await consentSubjectOf(projectDir, parsed.meta.name, w.source))
  writeCrontab(appendLines(before, entryLines(entry, command)))
  process.stdout.write(`${id}\n`)
  process.stderr.write(
    `ocdw: scheduled ${w.scope} workflow ${w.name} at "${entry.cron}" in your crontab (${id}); output goes to ${entry.log}. ` +
      `Consent is recorded for its current script; if the script changes, schedule it again. \`ocdw schedule rm ${id}\` removes it.\n`,
  )
}

async function listSchedules(flags: { json?: boolean }): Promise<void> {
  const projectDir = process.cwd()
  const entries = await Promise.all(projectEntries(projectDir).map(async (e) => ({ ...e, consent: await consentState(projectDir, e.name) })))
  if (flags.json) {
    process.stdout.write(JSON.stringify(entries, null, 2) + '\n')
    return
  }
  if (!entries.length) {
    process.stdout.write('No scheduled runs in this project; `ocdw schedule add <workflow> --cron "0 3 * * *"` adds one.\n')
    return
  }
  for (const e of entries) {
    process.stdout.write(
      sanitizeLine(`${e.id}  ${e.cron.padEnd(14)}  ${e.name}${e.args !== undefined ? `  --args ${e.args}` : ''}${e.flags.length ? `  ${e.flags.join(' ')}` : ''}  (${e.consent})  log: ${e.log}`) + '\n',
    )
  }
}

function removeSchedule(idOrName: string): void {
  const projectDir = process.cwd()
  const crontab = readCrontab()
  const mine = parseEntries(crontab).filter((e) => e.projectDir === projectDir)
  const byId = mine.filter((e) => e.id === idOrName)
  const matches = byId.length ? byId : mine.filter((e) => e.name === idOrName)
  if (!matches.length) throw new UsageError(`There is no scheduled run "${idOrName}" in this project; \`ocdw schedule ls\` lists them.`)
  if (matches.length > 1) {
    throw new UsageError(`"${idOrName}" is scheduled ${matches.length} times (${matches.map((e) => e.id).join(', ')}); remove one by its id.`)
  }
  writeCrontab(removeEntries(crontab, [matches[0].id]))
  process.stderr.write(`ocdw: removed ${matches[0].id} (${matches[0].name} at "${matches[0].cron}") from your crontab.\n`)
}

/** Whether the workflow's current script still has the consent recorded when it was scheduled. */
async function consentState(projectDir: string, name: string): Promise<string> {
  try {
    const w = findWorkflow(projectDir, name)
    const ok = hasConsentFor(await consentSubjectOf(projectDir, parseScript(w.source).meta.name, w.source))
    return ok ? 'consent recorded' : 'script changed since it was scheduled: runs are refused until you schedule it again'
  } catch {
    return 'the workflow no longer exists'
  }
}
