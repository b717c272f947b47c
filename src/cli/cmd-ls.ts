// `ocdw ls [--json]`: runs of this project, newest first.
import type { Command } from 'commander'
import { listRunsWithStatus } from '../actors/run-reader.js'
import { fmtElapsed, fmtTokens } from '../machines/format.js'
import { sanitizeLine } from '../machines/sanitize.js'

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('runs of this project, newest first')
    .option('--json', 'as JSON')
    .action((flags: { json?: boolean }) => {
      const runs = listRunsWithStatus(process.cwd()).map(({ run, status, live }) => ({ ...run, status, live }))
      if (flags.json) {
        process.stdout.write(JSON.stringify(runs, null, 2) + '\n')
        return
      }
      if (!runs.length) {
        process.stdout.write('No runs in this project yet; start one with `ocdw run`.\n')
        return
      }
      for (const r of runs) {
        const a = r.totals?.agents ?? {}
        const elapsed = (r.endedAt ?? Date.now()) - r.startedAt
        process.stdout.write(
          `${sanitizeLine(String(r.id))}  ${sanitizeLine(String(r.status)).padEnd(11)} ${sanitizeLine(String(r.name)).padEnd(24).slice(0, 24)} ${a.done ?? 0}/${a.total ?? 0} agents  ${fmtTokens(r.totals?.tokens?.total ?? 0)} tok  ${fmtElapsed(elapsed)}\n`,
        )
      }
    })
}
