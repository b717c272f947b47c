// `ocdw stop|pause|restart`: control commands sent over the live run's control channel (they are actor events).
import type { Command } from 'commander'
import { sendControl } from '../actors/control-client.js'
import { isLive } from '../actors/run-reader.js'
import type { ControlCommand } from '../machines/types.js'
import { findRun } from '../store/runs.js'
import { UsageError } from './errors.js'

async function send(runId: string, command: ControlCommand, verb: string): Promise<void> {
  const { dir, run } = findRun(process.cwd(), runId) as any
  const id = run?.id ?? runId
  if (!isLive(dir)) {
    throw new UsageError(`Run ${id} is not running in any process, so there is nothing to ${verb}; \`ocdw resume ${id}\` continues it.`)
  }
  await sendControl(dir, command)
  process.stderr.write(`ocdw: sent ${command.type}${'key' in command ? ` ${command.key}` : ''} to run ${id}\n`)
}

export function registerControl(program: Command): void {
  program
    .command('stop')
    .description('stop a live run, or one of its agents with --agent')
    .argument('<runId>')
    .option('--agent <key>', 'stop only this agent (its agent() resolves null)')
    .action((runId: string, flags: { agent?: string }) =>
      send(runId, flags.agent ? { type: 'STOP_AGENT', key: flags.agent } : { type: 'STOP' }, 'stop'),
    )
  program
    .command('pause')
    .description('pause a live run (no new agent starts), or resume it with --resume')
    .argument('<runId>')
    .option('--resume', 'resume the paused run')
    .action((runId: string, flags: { resume?: boolean }) => send(runId, { type: flags.resume ? 'RESUME' : 'PAUSE' }, 'pause'))
  program
    .command('restart')
    .description('restart one agent of a live run')
    .argument('<runId>')
    .requiredOption('--agent <key>', 'the agent to run again')
    .action((runId: string, flags: { agent: string }) => send(runId, { type: 'RESTART_AGENT', key: flags.agent }, 'restart'))
}
