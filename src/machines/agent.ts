// The agent actor: one script `agent()` call. queued -> running -> done | failed | stopped. The workflow actor starts
// it (START) when the semaphore has room; STOP aborts the running session (the invoked `execute` actor's signal);
// RESTART while running starts the session over. It reports its outcome to the workflow with AGENT.FINISHED and is
// then stopped by it (a finished agent holds no actor: memory stays flat over thousands of agents); restarting a
// finished agent spawns a fresh one with the next attempt number.
// Pure: the I/O is the `execute` actor, provided by src/actors/runtime.ts.
import { assign, fromPromise, sendParent, setup } from 'xstate'
import type { AgentCall, ExecResult } from './types.js'

export interface AgentInput {
  call: AgentCall
  attempt: number
}

export type AgentEvent = { type: 'START' } | { type: 'STOP' } | { type: 'RESTART' }

/** What an agent reports to its workflow. */
export type AgentFinished =
  | { type: 'AGENT.FINISHED'; key: string; attempt: number; status: 'done'; output: ExecResult }
  | {
      type: 'AGENT.FINISHED'
      key: string
      attempt: number
      status: 'failed'
      error: string
      /** The infrastructure failed (server gone, credentials refused, model unreachable), not the agent: the run stops. */
      infrastructure?: boolean
    }
  | { type: 'AGENT.FINISHED'; key: string; attempt: number; status: 'stopped' }
  | { type: 'AGENT.RESTARTED'; key: string; attempt: number }

/** An agent's error is journaled, shown and reported: cut a huge one (64 KiB) before it is written anywhere. */
const MAX_ERROR = 64 * 1024

function messageOf(error: unknown): string {
  const m = error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error)
  return m.length > MAX_ERROR ? `${m.slice(0, MAX_ERROR)}… [${m.length - MAX_ERROR} more characters cut]` : m
}

export const agentMachine = setup({
  types: {} as { context: AgentInput; input: AgentInput; events: AgentEvent },
  actors: {
    // Placeholder: the runtime provides the real one (OpenCode, or an in-process executor in tests).
    execute: fromPromise<ExecResult, AgentInput>(async () => {
      throw new Error('No agent executor was provided to the agent actor.')
    }),
  },
}).createMachine({
  id: 'agent',
  context: ({ input }) => ({ call: input.call, attempt: input.attempt }),
  initial: 'queued',
  states: {
    queued: {
      on: {
        START: 'running',
        STOP: 'stopped',
      },
    },
    running: {
      invoke: {
        src: 'execute',
        input: ({ context }) => ({ call: context.call, attempt: context.attempt }),
        onDone: {
          target: 'done',
          actions: sendParent(({ context, event }) => ({
            type: 'AGENT.FINISHED',
            key: context.call.key,
            attempt: context.attempt,
            status: 'done',
            output: event.output,
          })),
        },
        onError: {
          target: 'failed',
          actions: sendParent(({ context, event }) => ({
            type: 'AGENT.FINISHED',
            key: context.call.key,
            attempt: context.attempt,
            status: 'failed',
            error: messageOf(event.error),
            infrastructure: (event.error as { infrastructure?: unknown } | null)?.infrastructure === true,
          })),
        },
      },
      on: {
        STOP: 'stopped',
        RESTART: {
          target: 'running',
          reenter: true,
          actions: [
            assign({ attempt: ({ context }) => context.attempt + 1 }),
            sendParent(({ context }) => ({ type: 'AGENT.RESTARTED', key: context.call.key, attempt: context.attempt })),
          ],
        },
      },
    },
    done: { type: 'final' },
    failed: { type: 'final' },
    stopped: {
      type: 'final',
      entry: sendParent(({ context }) => ({ type: 'AGENT.FINISHED', key: context.call.key, attempt: context.attempt, status: 'stopped' })),
    },
  },
})
