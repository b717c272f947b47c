// Control commands (ARCHITECTURE §3): what the TUI keys, `ocdw stop/pause/restart/permit`, the plugin's
// workflow_control and the control channel send. They are the workflow actor's own events, nothing else. Declared
// once as a zod schema (the control server validates every request with it); the type is inferred from it.
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

export type ControlCommand = z.infer<typeof ControlCommandSchema>
