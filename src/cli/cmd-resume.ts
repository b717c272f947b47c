// `ocdw resume <runId>`: re-runs the run's own script; agents completed before answer from the journal.
import type { Command } from 'commander'
import { addRunFlags, commonRunOptions } from './cmd-run.js'
import { setExitCode } from './main.js'
import { parseMode, type RunFlags } from './options.js'
import { EXIT } from './errors.js'
import { approveResume } from './resume-approval.js'
import { isLocked, readLock, RunLockedError } from '../store/lock.js'
import { findRun } from '../store/runs.js'
import { runSession } from './run-session.js'

export function registerResume(program: Command): void {
  addRunFlags(program.command('resume').description('resume a run: completed agents answer from the journal').argument('<runId>'))
    .action(async (runId: string, flags: RunFlags, cmd: Command) => {
      const common = commonRunOptions(flags)
      const mode = parseMode(flags.mode)
      // Refuse a run another live process owns before starting any server for it.
      const { dir } = findRun(process.cwd(), runId)
      const holder = readLock(dir)
      if (isLocked(dir) && holder) {
        throw new RunLockedError(`Run ${runId} is in use by process ${holder.pid} on ${holder.host}; stop it with \`ocdw stop ${runId}\`, or wait for it to end.`)
      }
      // script.js runs unasked only if it (and each sub-workflow it names) still has the approved hash.
      const decision = await approveResume({ runDir: dir, runId, projectDir: process.cwd(), mode, yes: flags.yes })
      if (decision.status !== 'approved') {
        process.stderr.write(`ocdw: ${decision.message}\n`)
        if (flags.json) process.stdout.write(JSON.stringify({ runId, status: 'denied', result: null, error: decision.message }) + '\n')
        setExitCode(cmd, EXIT.stopped)
        return
      }
      setExitCode(cmd, await runSession({ projectDir: process.cwd(), resumeRunId: runId, ...common, args: undefined, approved: decision.approved }))
    })
}
