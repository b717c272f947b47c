// `ocdw resume <runId>`: re-runs the run's own script; agents completed before answer from the journal.
import type { Command } from 'commander'
import { addRunFlags, commonRunOptions } from './cmd-run.js'
import { setExitCode } from './main.js'
import type { RunFlags } from './options.js'
import { isLocked, readLock, RunLockedError } from '../store/lock.js'
import { findRun } from '../store/runs.js'
import { printSummary, runSession } from './run-session.js'
import { completedSummary, resumeConnection } from './resume-connection.js'

export function registerResume(program: Command): void {
  addRunFlags(program.command('resume').description('resume a run: completed agents answer from the journal').argument('<runId>'))
    .action(async (runId: string, flags: RunFlags, cmd: Command) => {
      const common = commonRunOptions(flags)
      // Refuse a run another live process owns before starting any server for it.
      const { dir, run } = findRun(process.cwd(), runId)
      const holder = readLock(dir)
      if (isLocked(dir) && holder) {
        throw new RunLockedError(`Run ${runId} is in use by process ${holder.pid} on ${holder.host}; stop it with \`ocdw stop ${runId}\`, or wait for it to end.`)
      }
      // A resumed run was approved when it started; its script is the one that ran (script.js), unchanged.
      // A completed run has nothing left to run: print its result, start no server.
      const done = completedSummary(dir, run)
      if (done) {
        process.stderr.write(`ocdw: run ${run.id} already completed; its recorded result follows (no agent was asked again)\n`)
        printSummary(done, common.json)
        return
      }
      const connection = resumeConnection(run.options, { server: common.server, offline: flags.offline, model: common.model })
      setExitCode(cmd, await runSession({ projectDir: process.cwd(), resumeRunId: runId, ...common, ...connection, args: undefined }))
    })
}
