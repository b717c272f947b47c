// `ocdw ls [--json]`: runs of this project, newest first. The figures are the ones `ocdw show` prints (one source:
// src/machines/run-facts.ts over the live view or the files on disk).
import type { Command } from 'commander'
import { listRunFacts } from '../actors/run-reader.js'
import { listStartingRuns } from '../actors/starting-run.js'
import { fmtElapsed, fmtTokens } from '../machines/format.js'
import { sanitizeLine } from '../machines/sanitize.js'

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('runs of this project, newest first')
    .option('--json', 'as JSON')
    .action(async (flags: { json?: boolean }) => {
      const runs = (await listRunFacts(process.cwd())).map(({ run, status, live, facts }) => ({ ...run, status, live, facts }))
      // Runs whose OpenCode server is still starting have no id yet (src/actors/starting-run.ts).
      const starting = listStartingRuns(process.cwd()).sort((a, b) => b.startedAt - a.startedAt)
      if (flags.json) {
        const startingJson = starting.map((s) => ({ id: null, name: s.name, status: 'starting', live: true, pid: s.pid, startedAt: s.startedAt }))
        process.stdout.write(JSON.stringify([...startingJson, ...runs], null, 2) + '\n')
        return
      }
      for (const s of starting) {
        process.stdout.write(`${'(starting)'.padEnd(22)}  ${'starting'.padEnd(11)} ${sanitizeLine(s.name).padEnd(24).slice(0, 24)} pid ${s.pid}\n`)
      }
      if (!runs.length && !starting.length) {
        process.stdout.write('No runs in this project yet; start one with `ocdw run`.\n')
        return
      }
      for (const r of runs) {
        const f = r.facts
        process.stdout.write(
          `${sanitizeLine(String(r.id))}  ${String(f.status).padEnd(11)} ${sanitizeLine(String(r.name)).padEnd(24).slice(0, 24)} ${f.agents.done}/${f.agents.total} agents  ${fmtTokens(f.tokens)} tok  ${fmtElapsed(f.elapsedMs)}\n`,
        )
      }
    })
}
