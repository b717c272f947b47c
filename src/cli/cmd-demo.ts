// `ocdw demo`: the bundled demo workflow, end to end on the offline model (no API key, real `opencode serve`).
import type { Command } from 'commander'
import { findWorkflow } from '../actors/workflow-lookup.js'
import { setExitCode } from './errors.js'
import { runSession } from './run-session.js'

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the bundled demo workflow on the offline model, end to end')
    .option('--json', 'print the final summary as JSON')
    .action(async (flags: { json?: boolean }, cmd: Command) => {
      const demo = findWorkflow(process.cwd(), 'demo')
      process.stderr.write('ocdw demo: the bundled "demo" workflow on the offline model (deterministic answers, no API key)\n')
      setExitCode(cmd, await runSession({ projectDir: process.cwd(), script: demo.source, offline: true, json: flags.json }))
    })
}
