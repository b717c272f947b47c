// The `ocdw` command line (README "Usage"): one file per command, registered here.
import { Command, CommanderError } from 'commander'
import { exitCodeOf, EXIT, exitCodeSet } from './errors.js'
import { registerRun } from './cmd-run.js'
import { registerResume } from './cmd-resume.js'
import { registerDemo } from './cmd-demo.js'
import { registerLs } from './cmd-ls.js'
import { registerShow } from './cmd-show.js'
import { registerControl } from './cmd-control.js'
import { offlineModelCommand } from './offline-model.js'
import { registerSave } from './cmd-save.js'
import { registerWorkflows } from './cmd-workflows.js'
import { registerSetup } from './cmd-setup.js'
import { registerUi } from './cmd-ui.js'
import { registerPermit } from './cmd-permit.js'
import { registerValidate } from './cmd-validate.js'
import { registerSchedule } from './cmd-schedule.js'

export function buildProgram(): Command {
  const program = new Command('ocdw')
    .description('Dynamic workflows for OpenCode: orchestration scripts that run many agents, resumable.')
    .version('0.1.0')
    .showHelpAfterError('(run `ocdw --help` for the commands)')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) })
  registerRun(program)
  registerResume(program)
  registerLs(program)
  registerShow(program)
  registerControl(program)
  registerPermit(program)
  registerSave(program)
  registerWorkflows(program)
  registerUi(program)
  registerSetup(program)
  registerDemo(program)
  registerValidate(program)
  registerSchedule(program)
  program.addCommand(offlineModelCommand())
  return program
}

export async function main(argv: string[]): Promise<number> {
  // A reader that stops early (`ocdw ls | head -1`) closes the pipe: the output is no longer wanted, which is not an
  // error worth a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.completed)
    process.stderr.write(`ocdw: cannot write to stdout (${err.code ?? err.message}).\n`)
    process.exit(EXIT.failed)
  })
  const program = buildProgram()
  // Commander calls process.exit for help/version/usage errors unless told otherwise; exitOverride turns those into
  // exceptions so every exit goes through one place with the contract's codes.
  program.commands.forEach((c) => c.exitOverride())
  try {
    await program.parseAsync(argv)
    return exitCodeSet(program) ?? EXIT.completed
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0
      return EXIT.usage
    }
    process.stderr.write(`ocdw: ${(err as Error).message}\n`)
    return exitCodeOf(err)
  }
}
