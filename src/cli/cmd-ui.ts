// `ocdw ui`: the blessed TUI over this project's runs (src/tui). Needs a terminal: without one it says what to use
// instead and exits with the usage code.
import type { Command } from 'commander'
import { startTui } from '../tui/app.js'
import { createDiskSource } from '../tui/source.js'
import { setExitCode } from './errors.js'

export function registerUi(program: Command): void {
  program
    .command('ui')
    .description('the terminal UI: watch and steer runs, phases and agents')
    .action(async (_flags: unknown, cmd: Command) => {
      if (!process.stdout.isTTY || !process.stdin.isTTY) {
        process.stderr.write('ocdw ui needs a terminal; use `ocdw ls` / `ocdw show <runId>` instead.\n')
        setExitCode(cmd, 2)
        return
      }
      const tui = startTui({ source: createDiskSource(process.cwd()) })
      await tui.closed
    })
}
