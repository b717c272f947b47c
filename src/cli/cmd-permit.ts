// `ocdw permit <runId> --agent <key> --reply once|always|reject`: answers the OpenCode permission request an agent of
// a live run is waiting on (docs/ARCHITECTURE.md §2: a permission request pauses only that agent). The pending request id comes from
// the live run's view; the answer travels as the PERMISSION_REPLY control command (an actor event).
import type { Command } from 'commander'
import { fetchLiveView, sendControl } from '../actors/control-client.js'
import { isLive } from '../actors/run-reader.js'
import { findRun } from '../store/runs.js'
import { UsageError } from './errors.js'
import { resolveAgentRef } from '../machines/agent-ref.js'

export type PermitReply = 'once' | 'always' | 'reject'
const REPLIES: PermitReply[] = ['once', 'always', 'reject']

export interface PermitResult {
  runId: string
  key: string
  requestId: string
  permission: string
  reply: PermitReply
}

/** Answers agent `key`'s pending permission request in the live run `runId` of `projectDir`. */
export async function permitAgent(projectDir: string, runId: string, key: string, reply: string): Promise<PermitResult> {
  if (!REPLIES.includes(reply as PermitReply)) {
    throw new UsageError(`--reply must be once, always or reject (got "${reply}").`)
  }
  const { dir, run } = findRun(projectDir, runId)
  const id = run.id
  if (!isLive(dir)) {
    throw new UsageError(`Run ${id} is not running in any process, so no agent is waiting for a permission; \`ocdw resume ${id}\` continues it.`)
  }
  const view = await fetchLiveView(dir)
  const ref = resolveAgentRef(view, key)
  if (ref.error !== undefined) throw new UsageError(ref.error)
  key = ref.key
  const agent = view.agents.find((a) => a.key === key)!
  if (!agent.permission) {
    throw new UsageError(`Agent ${key} of run ${id} is not waiting for a permission (it is ${agent.status}); nothing to answer.`)
  }
  const { requestId, permission } = agent.permission
  await sendControl(dir, { type: 'PERMISSION_REPLY', key, requestId, reply: reply as PermitReply })
  return { runId: id, key, requestId, permission, reply: reply as PermitReply }
}

export function registerPermit(program: Command): void {
  program
    .command('permit')
    .description("answer an agent's pending permission request in a live run")
    .argument('<runId>')
    .requiredOption('--agent <key|label>', 'the agent waiting for the permission, by key or unique label (`ocdw show <runId>` lists them)')
    .requiredOption('--reply <reply>', 'once | always | reject')
    .action(async (runId: string, flags: { agent: string; reply: string }) => {
      const r = await permitAgent(process.cwd(), runId, flags.agent, flags.reply)
      process.stderr.write(`ocdw: answered ${r.reply} to agent ${r.key}'s request for ${r.permission} in run ${r.runId}\n`)
    })
}
