// Where an agent runs, checked before its session exists (issues 16.1, 16.2): the model (Claude aliases, mapped or
// validated provider/model names) and the OpenCode agent (Claude's built-in types, other names case-insensitively).
// The server's providers and agents are asked once per executor and kept; a failed look-up is asked again next time.
import type { OpencodeClient } from '@opencode-ai/sdk/v2'
import type { AgentOptions } from '../machines/types.js'
import { resolveAgentType, UnknownAgentTypeError, type ServerAgent } from './agent-type.js'
import { loadModelMap, resolveModel, UnknownModelError, type ModelCatalog, type ModelMap } from './model-alias.js'

export interface AgentTarget {
  model?: { providerID: string; modelID: string }
  agent?: string
  /** A line for the run's log, said once per name (an alias that fell back to the default model). */
  note?: string
}

/** A wrong model or agent type: the agent fails at once, without retries (a script fix, not a passing fault). */
export class AgentTargetError extends Error {}

/** The server could not be asked (it may be restarting): worth a retry. */
export class AgentTargetUnavailableError extends Error {}

export interface AgentTargets {
  resolve(opts: AgentOptions): Promise<AgentTarget>
}

export function createAgentTargets(o: { client: OpencodeClient; directory: string; defaultModel?: string; modelMap?: ModelMap }): AgentTargets {
  const map = o.modelMap ?? loadModelMap(o.directory)
  let catalog: Promise<ModelCatalog> | undefined
  let agents: Promise<ServerAgent[]> | undefined
  const noted = new Set<string>()
  let problemsSaid = false

  const once = <T>(get: () => Promise<T> | undefined, set: (p: Promise<T> | undefined) => void, load: () => Promise<T>): Promise<T> => {
    let p = get()
    if (!p) {
      p = load()
      set(p)
      p.catch(() => set(undefined))
    }
    return p
  }

  const loadCatalog = async (): Promise<ModelCatalog> => {
    const res = await o.client.config.providers({ directory: o.directory })
    if (res.error || !res.data) throw new AgentTargetUnavailableError(`OpenCode did not list its providers (HTTP ${res.response?.status ?? 'no answer'}).`)
    return new Map((res.data as any).providers.map((p: any) => [p.id as string, Object.keys(p.models ?? {})]))
  }
  const loadAgents = async (): Promise<ServerAgent[]> => {
    const res = await o.client.app.agents({ directory: o.directory })
    if (res.error || !res.data) throw new AgentTargetUnavailableError(`OpenCode did not list its agents (HTTP ${res.response?.status ?? 'no answer'}).`)
    return (res.data as any[]).map((a) => ({ name: String(a.name), hidden: Boolean(a.hidden) }))
  }

  return {
    async resolve(opts) {
      const target: AgentTarget = {}
      const notes: string[] = []
      if (!problemsSaid && map.problems.length) {
        problemsSaid = true
        notes.push(...map.problems)
      }
      // Only a name that needs the catalog asks the server for it: a run without model options costs no request.
      const needsCatalog = opts.model !== undefined
      try {
        const resolved = resolveModel(opts.model, { map, catalog: needsCatalog ? await once(() => catalog, (p) => (catalog = p), loadCatalog) : new Map(), defaultModel: o.defaultModel })
        if (resolved.model) {
          const slash = resolved.model.indexOf('/')
          if (slash <= 0) throw new UnknownModelError(`The model "${resolved.model}" is not in provider/model form (e.g. anthropic/claude-sonnet-4-5); fix the --model option.`)
          target.model = { providerID: resolved.model.slice(0, slash), modelID: resolved.model.slice(slash + 1) }
        }
        if (resolved.note && !noted.has(opts.model!.toLowerCase())) {
          noted.add(opts.model!.toLowerCase())
          notes.push(resolved.note)
        }
        if (opts.agentType !== undefined) target.agent = resolveAgentType(opts.agentType, await once(() => agents, (p) => (agents = p), loadAgents))
      } catch (e) {
        if (e instanceof UnknownModelError || e instanceof UnknownAgentTypeError) throw new AgentTargetError(e.message)
        if (e instanceof AgentTargetUnavailableError) throw e
        throw new AgentTargetUnavailableError(`Could not ask OpenCode for its models and agents (${(e as Error).message}).`)
      }
      if (notes.length) target.note = notes.join('\n')
      return target
    },
  }
}
