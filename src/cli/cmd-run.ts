// `ocdw run`: a script file, a saved/bundled workflow by name, or a task the planner turns into a script.
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { findWorkflow, workflowResolver } from '../actors/workflow-lookup.js'
import { approvedSetOf } from '../actors/approved-set.js'
import { parseScript } from '../script/meta.js'
import { approve } from './approval.js'
import { UsageError, EXIT } from './errors.js'
import { setExitCode } from './errors.js'
import { addServerFlags, lastOf, parseArgs, parseMode, parseSessionsMode, positiveInt, serverSpecs, type RunFlags } from './options.js'
import { connectFor, runSession } from './run-session.js'
import { planScript } from './plan.js'
import type { OpencodeConnection } from './connection.js'

export function addRunFlags(cmd: Command): Command {
  const head = cmd
    .option('--args <json|text>', "the script's `args` (JSON if it parses, else the text)")
    .option('--yes', 'approve without asking, for this run')
    .option('--mode <mode>', 'approval mode: default | auto | bypass', 'default')
  return addServerFlags(head, 'else one is spawned in the project dir')
    .option('--offline', 'use the bundled offline model (no API key needed)')
    .option('--model <provider/model>', 'default model for the planner and the agents')
    .option('--concurrency <n>', 'pin the agents running at once (default: adaptive, from 16)')
    .option('--max-agents <n>', 'cap on agents in the run (default 1000)')
    .option('--budget <tokens>', 'output-token budget; once spent, agent() throws (as in Claude Code)')
    .option('--json', 'print the final summary as JSON on stdout (progress stays on stderr)')
    .option('--quiet', 'print only the result (and an error, if the run fails): no progress')
    .option('--inspect', 'send actor inspection events to the Stately inspector')
    .option('--sessions <mode>', "the run's OpenCode sessions afterwards: keep | delete-on-success | delete", 'keep')
}

export function registerRun(program: Command): void {
  addRunFlags(
    program
      .command('run')
      .description('run a workflow: --script <file>, --name <workflow>, or a task for the planner to script')
      .argument('[task...]', 'what to do, in words (the planner writes the script)')
      .option('--script <file.js>', 'run this script file')
      .option('--name <workflow>', 'run a saved (project, then personal) or bundled workflow')
      .option('--detach', 'start in the background and print the run id'),
  ).action(async (task: string[], flags: RunFlags & { script?: string; name?: string }, cmd: Command) => {
    const projectDir = process.cwd()
    const common = commonRunOptions(flags)
    // Check --mode before any work (the planner would otherwise start a server and spend model calls first).
    const mode = parseMode(flags.mode)
    let source: string
    let origin: string
    let connection: OpencodeConnection | undefined
    if (flags.script) {
      const path = resolve(flags.script)
      try {
        source = readFileSync(path, 'utf8')
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code
        const why = code === 'ENOENT' ? 'there is no such file' : code === 'EISDIR' ? 'it is a directory, not a file' : code === 'EACCES' ? 'permission denied' : (code ?? (err as Error).message)
        throw new UsageError(`Cannot read the script ${flags.script} (${why}); give the path of a .js workflow script.`)
      }
      origin = path
    } else if (flags.name) {
      const w = findWorkflow(projectDir, flags.name)
      source = w.source
      origin = `${w.scope} workflow ${w.name}`
    } else if (task.length) {
      // A script the planner writes is new, so it needs approval: with no terminal to ask in and no --yes, say so
      // before a server starts and the planner spends model calls on a script that could not run.
      if (!flags.yes && mode !== 'bypass' && !process.stdin.isTTY) {
        return refuse(cmd, flags, "The planner's script needs approval and there is no terminal to ask in, so nothing was started and no model was called; run again with --yes (or --mode bypass) to approve whatever it writes, or in a terminal to review it first.")
      }
      // The planner's session and the run share one OpenCode connection (one server start, not two).
      connection = await connectFor({ projectDir, ...common })
      try {
        source = await planScript({ connection, projectDir, task: task.join(' '), concurrency: common.concurrency, maxAgents: common.maxAgents, budget: common.budget, quiet: common.quiet })
      } catch (err) {
        await connection.stop()
        throw err
      }
      origin = 'planner'
    } else {
      throw new UsageError('Nothing to run: give a task in words, --script <file.js>, or --name <workflow> (`ocdw workflows` lists them).')
    }
    let parsed
    try {
      parsed = parseScript(source)
    } catch (err) {
      await connection?.stop()
      throw err
    }
    // Approval covers the sub-workflows the script names too (issue 12.4a): shown, hashed, recorded in run.json.
    const covered = await approvedSetOf(source, workflowResolver(projectDir))
    const decision = await approve({ projectDir, source, parsed, origin, mode, yes: flags.yes, subWorkflows: covered.sources })
    if (decision.status !== 'approved' || flags.detach) await connection?.stop()
    if (decision.status !== 'approved') return refuse(cmd, flags, decision.message)
    if (flags.detach) {
      const { detachRun } = await import('./detach.js')
      setExitCode(cmd, await detachRun({ projectDir, source: decision.source, flags }))
      return
    }
    const approved = decision.source === source ? covered : await approvedSetOf(decision.source, workflowResolver(projectDir))
    setExitCode(cmd, await runSession({ projectDir, script: decision.source, ...common, connection, approved: { script: approved.script, workflows: approved.workflows } }))
  })
}

/** Nothing runs without approval: the sentence on stderr (and as the --json summary), exit 3. */
function refuse(cmd: Command, flags: RunFlags, message: string): void {
  process.stderr.write(`ocdw: ${message}\n`)
  if (flags.json) process.stdout.write(JSON.stringify({ runId: null, status: 'denied', result: null, error: message }) + '\n')
  setExitCode(cmd, EXIT.stopped)
}

export function commonRunOptions(flags: RunFlags) {
  return {
    args: parseArgs(flags.args),
    servers: serverSpecs(flags.server, flags.serverPasswordEnv),
    serverPasswordEnv: lastOf(flags.serverPasswordEnv),
    offline: flags.offline,
    model: flags.model,
    concurrency: positiveInt(flags.concurrency, '--concurrency'),
    maxAgents: positiveInt(flags.maxAgents, '--max-agents'),
    budget: positiveInt(flags.budget, '--budget'),
    json: flags.json,
    inspect: flags.inspect,
    quiet: flags.quiet,
    sessions: parseSessionsMode((flags as { sessions?: string }).sessions),
  }
}
