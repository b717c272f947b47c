// The control channel's wire format: newline-delimited JSON over a unix socket owned by the process running a run.
// Commands are the workflow actor's own events (ControlCommand); nothing else can change a run.
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { z } from 'zod'

export const ControlCommandSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('STOP') }),
  z.object({ type: z.literal('PAUSE') }),
  z.object({ type: z.literal('RESUME') }),
  z.object({ type: z.literal('STOP_AGENT'), key: z.string().min(1) }),
  z.object({ type: z.literal('RESTART_AGENT'), key: z.string().min(1) }),
  z.object({
    type: z.literal('PERMISSION_REPLY'),
    key: z.string().min(1),
    requestId: z.string().min(1),
    reply: z.enum(['once', 'always', 'reject']),
  }),
])

export const ControlRequestSchema = z.discriminatedUnion('op', [
  z.object({ id: z.number(), op: z.literal('command'), command: ControlCommandSchema }),
  z.object({ id: z.number(), op: z.literal('view') }),
  z.object({ id: z.number(), op: z.literal('watch') }),
])
export type ControlRequest = z.infer<typeof ControlRequestSchema>

/** The file in the run dir that names the socket (unix socket paths are limited to ~107 bytes, run dirs are not). */
export const CONTROL_FILE = 'control.json'

/** Socket path for a run dir: short, in the temp dir, stable for the run dir. */
export function socketPathFor(runDir: string): string {
  const hash = createHash('sha256').update(runDir).digest('hex').slice(0, 16)
  return join(tmpdir(), `ocdw-${hash}.sock`)
}
