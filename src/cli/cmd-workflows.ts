// `ocdw workflows [--json]`: every workflow a user can run by name: project, personal, bundled (project wins).
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { listAllWorkflows } from '../actors/workflow-lookup.js'
import { parseScript } from '../script/meta.js'
import { sanitizeLine } from '../machines/sanitize.js'

export function registerWorkflows(program: Command): void {
  program
    .command('workflows')
    .description('bundled, project and personal workflows')
    .option('--json', 'as JSON')
    .action((flags: { json?: boolean }) => {
      const rows = listAllWorkflows(process.cwd()).map((w) => {
        let description: string | undefined
        let problem: string | undefined
        try {
          description = parseScript(readFileSync(w.path, 'utf8')).meta.description
        } catch (err) {
          problem = (err as Error).message
        }
        return { ...w, description, ...(problem ? { problem } : {}) }
      })
      if (flags.json) {
        process.stdout.write(JSON.stringify(rows, null, 2) + '\n')
        return
      }
      for (const w of rows) {
        // Names and descriptions come from files a repository ships: no terminal control sequences.
        process.stdout.write(sanitizeLine(`${w.name.padEnd(20)} ${w.scope.padEnd(8)} ${w.problem ? `(unusable: ${w.problem})` : (w.description ?? '')}`) + '\n')
      }
      if (!rows.length) process.stdout.write('No workflows found.\n')
    })
}
