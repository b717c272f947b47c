// `ocdw resume <runId>`: re-runs the run's own script (or an edited one, --script); agents completed before answer
// from the journal. Only flags that mean something on resume are offered (no --args: the run keeps its own).
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { fetchLiveView, sendControl } from '../actors/control-client.js'
import { isLive } from '../actors/run-reader.js'
import { parseScript } from '../script/meta.js'
import { approve } from './approval.js'
import { commonRunOptions } from './cmd-run.js'
import { EXIT, UsageError } from './errors.js'
import { setExitCode } from './main.js'
import { parseMode, type RunFlags } from './options.js'
import { isLockHeld, readLock, RunLockedError } from '../store/lock.js'
import { findRun } from '../store/runs.js'
import { runSession } from './run-session.js'

export function registerResume(program: Command): void {
  program
    .command('resume')
    .description('resume a run: completed agents answer from the journal, the rest run live')
    .argument('<runId>', 'the run id, or a unique prefix of it')
    .option('--script <file.js>', 'resume with this edited script: its unchanged leading calls answer from the journal')
    .option('--yes', 'approve the edited --script without asking')
    .option('--mode <mode>', 'approval mode for an edited --script: default | auto | bypass', 'default')
    .option('--server <url>', 'use a running OpenCode server (else one is spawned in the project dir)')
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
      let script: string | undefined
      if (flags.script) {
        try {
          script = readFileSync(resolve(flags.script), 'utf8')
        } catch (err) {
          throw new UsageError(`Cannot read the script ${flags.script} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); give the path of the edited .js workflow script.`)
        }
        const parsed = parseScript(script)
        // An edited script is a new script: it is approved like one (the run's own script was approved when it started).
        if (script !== readFileSync(resolve(dir, 'script.js'), 'utf8')) {
          const decision = await approve({ projectDir: process.cwd(), source: script, parsed, origin: resolve(flags.script), mode, yes: flags.yes })
          if (decision.status !== 'approved') {
            process.stderr.write(`ocdw: ${decision.message}\n`)
            setExitCode(cmd, EXIT.stopped)
            return
          }
          script = decision.source
        }
      }
      setExitCode(cmd, await runSession({ projectDir: process.cwd(), resumeRunId: id, ...common, script, args: undefined }))
    })
}
