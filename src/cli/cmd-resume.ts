// `ocdw resume <runId>`: re-runs the run's own script; agents completed before answer from the journal.
import type { Command } from 'commander'
import { addRunFlags, commonRunOptions } from './cmd-run.js'
import { setExitCode } from './main.js'
import type { RunFlags } from './options.js'
import { runSession } from './run-session.js'

export function registerResume(program: Command): void {
  addRunFlags(program.command('resume').description('resume a run: completed agents answer from the journal').argument('<runId>'))
    .action(async (runId: string, flags: RunFlags, cmd: Command) => {
      const common = commonRunOptions(flags)
      // A resumed run was approved when it started; its script is the one that ran (script.js), unchanged.
      setExitCode(cmd, await runSession({ projectDir: process.cwd(), resumeRunId: runId, ...common, args: undefined }))
    })
}
