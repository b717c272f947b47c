// `ocdw stop|pause|restart`: control commands sent over the live run's control channel (they are actor events).
// Agents are named by key or by a unique label; a bad name or a restart that would change nothing is bad input
// (exit 2), checked against the live view before anything is sent (the run checks again on receipt).
import type { Command } from 'commander'
import { fetchLiveView, sendControl } from '../actors/control-client.js'
import { isLive } from '../actors/run-reader.js'
import { resolveAgentRef, restartRefusal } from '../machines/agent-ref.js'
import type { ControlCommand } from '../machines/types.js'
import { findRun } from '../store/runs.js'
import { UsageError } from './errors.js'

async function send(runId: string, command: ControlCommand, verb: string): Promise<void> {
  const { dir, run } = findRun(process.cwd(), runId)
  const id = run.id
  if (!isLive(dir)) {
    throw new UsageError(`Run ${id} is not running in any process, so there is nothing to ${verb}; \`ocdw resume ${id}\` continues it.`)
  }
  if (command.type === 'STOP_AGENT' || command.type === 'RESTART_AGENT') {
    const view = await fetchLiveView(dir)
    const ref = resolveAgentRef(view, command.key)
    if (ref.error !== undefined) throw new UsageError(ref.error)
    command = { ...command, key: ref.key }
    const refusal = command.type === 'RESTART_AGENT' ? restartRefusal(view, ref.key) : undefined
    if (refusal) throw new UsageError(refusal)
  }
  await sendControl(dir, command)
  process.stderr.write(`ocdw: sent ${command.type}${'key' in command ? ` ${command.key}` : ''} to run ${id}\n`)
}

export function registerControl(program: Command): void {
  program
    .command('stop')
    .description('stop a live run, or one of its agents with --agent')
    .argument('<runId>', 'the run id, or a unique prefix of it')
    .option('--agent <key|label>', 'stop only this agent (its agent() resolves null)')
    .action((runId: string, flags: { agent?: string }) =>
      send(runId, flags.agent ? { type: 'STOP_AGENT', key: flags.agent } : { type: 'STOP' }, 'stop'),
    )
  program
    .command('pause')
    .description('pause a live run (no new agent starts), or resume it with --resume')
    .argument('<runId>', 'the run id, or a unique prefix of it')
    .option('--resume', 'resume the paused run')
    .action((runId: string, flags: { resume?: boolean }) => send(runId, { type: flags.resume ? 'RESUME' : 'PAUSE' }, 'pause'))
  program
    .command('restart')
    .description('restart a running agent of a live run (a new attempt of the same call)')
    .argument('<runId>', 'the run id, or a unique prefix of it')
    .requiredOption('--agent <key|label>', 'the running agent to start over')
    .action((runId: string, flags: { agent: string }) => send(runId, { type: 'RESTART_AGENT', key: flags.agent }, 'restart'))
}
