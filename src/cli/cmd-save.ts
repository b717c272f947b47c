// `ocdw save <runId> --name <name> [--personal] [--force]`: the run's script becomes a saved workflow (and `/<name>`
// inside OpenCode).
import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { parseScript } from '../script/meta.js'
import { runPaths } from '../store/run-dir.js'
import { findRun } from '../store/runs.js'
import { saveWorkflow } from '../store/saved-workflows.js'

export function registerSave(program: Command): void {
  program
    .command('save')
    .description("save a run's script as a workflow you can run by name (and as /<name> in OpenCode)")
    .argument('<runId>')
    .requiredOption('--name <name>', 'the workflow name')
    .option('--personal', 'save to your personal workflows instead of this project')
    .option('--force', 'overwrite a workflow of the same name')
    .action((runId: string, flags: { name: string; personal?: boolean; force?: boolean }) => {
      const projectDir = process.cwd()
      const { dir } = findRun(projectDir, runId)
      const source = readFileSync(runPaths(dir).script, 'utf8')
      const parsed = parseScript(source)
      const saved = saveWorkflow({ projectDir, name: flags.name, source, description: parsed.meta.description, personal: flags.personal, force: flags.force })
      process.stdout.write(
        `Saved ${flags.name} to ${saved.path}; run it with \`ocdw run --name ${flags.name}\` or /${flags.name} in OpenCode (command ${saved.commandPath}).\n`,
      )
    })
}
