// The client the plugin uses to reach the OpenCode server it runs in. OpenCode hands every plugin a v1 client that
// already knows the way in: with `opencode serve` it points at the listening URL and carries the server's Basic auth
// header; in the TUI and `opencode run` nothing listens (input.serverUrl is a placeholder, http://localhost:4096/)
// and the client's own `fetch` calls the in-process server directly. So the v2 client ocdw needs is built from that
// client's configuration (base URL, fetch, headers), never from a guessed URL.
import type { PluginInput } from '@opencode-ai/plugin'
import { createOpencodeClient, type OpencodeClient } from '@opencode-ai/sdk/v2'

interface HandedConfig {
  baseUrl?: string
  fetch?: (req: Request) => Promise<Response>
  headers?: Headers | Record<string, unknown>
}

/** The configuration of the v1 client OpenCode handed over (hey-api client: `_client.getConfig()`). */
function handedConfig(client: unknown): HandedConfig | undefined {
  const inner = (client as { _client?: { getConfig?: () => HandedConfig } } | undefined)?._client
  try {
    return typeof inner?.getConfig === 'function' ? inner.getConfig() : undefined
  } catch {
    return undefined
  }
}

/** Headers worth carrying over (authorization and the like); the v2 client sets its own directory and content type. */
function carriedHeaders(headers: HandedConfig['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  if (!headers) return out
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers)
  for (const [k, v] of entries) {
    const key = k.toLowerCase()
    if (key === 'x-opencode-directory' || key === 'content-type' || typeof v !== 'string') continue
    out[key] = v
  }
  return out
}

/** Basic auth from the server's own environment (the same variables OpenCode reads), when the handed client has none. */
function envAuthorization(env: NodeJS.ProcessEnv): string | undefined {
  const password = env.OPENCODE_SERVER_PASSWORD
  if (!password) return undefined
  const user = env.OPENCODE_SERVER_USERNAME || 'opencode'
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`
}

export function pluginClient(input: Pick<PluginInput, 'client' | 'serverUrl' | 'directory'>, env: NodeJS.ProcessEnv = process.env): OpencodeClient {
  const handed = handedConfig(input.client)
  const headers = carriedHeaders(handed?.headers)
  if (!headers.authorization) {
    const auth = envAuthorization(env)
    if (auth) headers.authorization = auth
  }
  const baseUrl = (handed?.baseUrl || input.serverUrl.toString()).replace(/\/$/, '')
  // The handed fetch is what reaches an in-process server; without one (an older OpenCode) plain HTTP it is.
  const fetch = handed?.fetch
  return createOpencodeClient({ baseUrl, directory: input.directory, headers, ...(fetch ? { fetch: fetch as typeof globalThis.fetch } : {}) })
}
