// The planner's OpenCode I/O: one session on the run's first server, asked for a script and asked again with the
// problems of an invalid answer (the loop and the checks are src/cli/plan.ts and src/script/planner.ts).
import type { OpencodeClient } from '@opencode-ai/sdk/v2'

export interface PlannerSession {
  /** Sends one prompt and resolves with the answer's text; throws a sentence when the model call fails. */
  ask(text: string): Promise<string>
}

export async function openPlannerSession(client: OpencodeClient, task: string, model?: string): Promise<PlannerSession> {
  const created = await client.session.create({ title: `ocdw planner: ${task.slice(0, 60)}` })
  if (!created.data) throw new Error(`The planner could not open an OpenCode session (${JSON.stringify(created.error)}).`)
  const sessionID = created.data.id
  const parts = model?.split('/')
  return {
    async ask(text) {
      const res = await client.session.prompt({
        sessionID,
        parts: [{ type: 'text', text }],
        ...(parts && parts.length >= 2 ? { model: { providerID: parts[0]!, modelID: parts.slice(1).join('/') } } : {}),
      })
      const msg = res.data
      if (!msg) throw new Error(`The planner's model call failed (${JSON.stringify(res.error)}); check the model with --model.`)
      const info = msg.info as { error?: { name?: string; data?: { message?: string } } }
      if (info.error) throw new Error(`The planner's model failed: ${info.error.data?.message ?? info.error.name}.`)
      return msg.parts
        .filter((p: { type: string }) => p.type === 'text')
        .map((p) => (p as { text: string }).text)
        .join('\n')
    },
  }
}
