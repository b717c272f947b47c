// `ocdw resume <runId>`: re-runs the run's own script (or an edited one, --script); agents completed before answer
// from the journal. Only flags that mean something on resume are offered (no --args: the run keeps its own).
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { fetchLiveView, sendControl } from '../actors/control-client.js'
import { isLive } from '../actors/run-reader.js'
import { parseScript } from '../script/meta.js'
import { commonRunOptions } from './cmd-run.js'
import { EXIT, UsageError } from './errors.js'
import { setExitCode } from './errors.js'
import { addServerFlags, parseMode, type RunFlags } from './options.js'
import { approvalUnchanged, approveResume } from './resume-approval.js'
import { isLockHeld, readLock, RunLockedError } from '../store/lock.js'
import { findRun } from '../store/runs.js'
import { printSummary, runSession } from './run-session.js'
import { completedSummary, resumeConnection } from './resume-connection.js'

export function registerResume(program: Command): void {
  const resume = program
    .command('resume')
    .description('resume a run: completed agents answer from the journal, the rest run live')
    .argument('<runId>', 'the run id, or a unique prefix of it')
    .option('--script <file.js>', 'resume with this edited script: its unchanged leading calls answer from the journal')
    .option('--yes', 'approve without asking (an edited --script, or a run whose script changed since it was approved)')
    .option('--mode <mode>', 'approval mode when approval is needed: default | auto | bypass', 'default')
  addServerFlags(resume, "else the run's recorded servers, or one is spawned")
    .option('--offline', 'use the bundled offline model (no API key needed)')
    .option('--model <provider/model>', 'default model for the agents')
    .option('--concurrency <n>', 'agents running at once (replaces the run\'s setting)')
    .option('--max-agents <n>', 'cap on agents in the run (replaces the run\'s setting)')
    .option('--budget <tokens>', 'token budget of the run (replaces the run\'s setting)')
    .option('--json', 'print the final summary as JSON on stdout (progress stays on stderr)')
    .option('--inspect', 'send actor inspection events to the Stately inspector')
    .action(async (runId: string, flags: RunFlags & { script?: string }, cmd: Command) => {
      const common = commonRunOptions(flags)
      const mode = parseMode(flags.mode)
      const { dir, run } = findRun(process.cwd(), runId)
      const id = run.id
      // A live run: a paused one is continued where it runs; a running one belongs to its process.
      const holder = readLock(dir)
      if (isLive(dir)) {
        const view = await fetchLiveView(dir).catch(() => undefined)
        if (view?.status === 'paused') {
          await sendControl(dir, { type: 'RESUME' })
          process.stderr.write(`ocdw: run ${id} was paused in process ${holder?.pid ?? '?'}; it continues there now (\`ocdw show ${id}\` follows it).\n`)
          setExitCode(cmd, EXIT.completed)
          return
        }
      }
      // Refuse a run another live process owns before starting any server for it.
      if (await isLockHeld(dir)) {
        throw new RunLockedError(`Run ${id} is in use by process ${holder?.pid ?? '?'} on ${holder?.host ?? 'this host'}; stop it with \`ocdw stop ${id}\`, or wait for it to end.`)
      }
      // A completed run has nothing left to run: print its result, start no server. Not when its script (or a
      // sub-workflow) was edited since it was approved: that is edit-then-resume, which approval must see first.
      const done = flags.script || !(await approvalUnchanged(dir, process.cwd())) ? undefined : completedSummary(dir, run)
      if (done) {
        process.stderr.write(`ocdw: run ${run.id} already completed; its recorded result follows (no agent was asked again)\n`)
        printSummary(done, common.json)
        return
      }
      let edited: { source: string; origin: string } | undefined
      if (flags.script) {
        try {
          edited = { source: readFileSync(resolve(flags.script), 'utf8'), origin: resolve(flags.script) }
        } catch (err) {
          throw new UsageError(`Cannot read the script ${flags.script} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the path of the edited .js workflow script.`)
        }
        parseScript(edited.source)
      }
      // script.js runs unasked only if it (and each sub-workflow it names) still has the approved hash; an edited
      // script is a new script, approved like one.
      const decision = await approveResume({ runDir: dir, runId: id, projectDir: process.cwd(), mode, yes: flags.yes, script: edited })
      if (decision.status !== 'approved') {
        process.stderr.write(`ocdw: ${decision.message}\n`)
        if (flags.json) process.stdout.write(JSON.stringify({ runId: id, status: 'denied', result: null, error: decision.message }) + '\n')
        setExitCode(cmd, EXIT.stopped)
        return
      }
      const script = edited ? decision.source : undefined
      // The run's recorded connection (offline, server, model) unless a flag overrides it.
      const connection = resumeConnection(run.options, { servers: common.servers, offline: flags.offline, model: common.model })
      setExitCode(cmd, await runSession({ projectDir: process.cwd(), resumeRunId: id, ...common, ...connection, script, args: undefined, approved: decision.approved }))
    })
}
