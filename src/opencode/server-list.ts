// Which OpenCode servers a run uses when the user runs them (--server, repeatable, or `servers` in the user's
// ocdw.json), and each one's credentials: the password is read from an environment variable (OPENCODE_SERVER_PASSWORD
// for all, or a per-server variable named by --server-password-env or the config entry), never from a file. A
// project's own ocdw.json cannot name servers: a repository that did could send the user's prompts, code and server
// password to a machine of its choosing.
import { createOpencodeClient, type OpencodeClient } from '@opencode-ai/sdk/v2'
import { configSection, readOcdwConfigs } from '../store/ocdw-config.js'
import { basicAuthHeader, type ServerAuth } from './server.js'

export interface ServerSpec {
  url: string
  /** The environment variable that holds this server's password (default OPENCODE_SERVER_PASSWORD). */
  passwordEnv?: string
}

/** A server option or config entry that cannot work (exit 2, like any usage error): the message says what to fix. */
export class ServerConfigError extends Error {
  readonly exitCode = 2
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** The credentials for a server the user runs: OPENCODE_SERVER_PASSWORD, or the variable `passwordEnv` names. */
export function userServerAuth(passwordEnv?: string, env: NodeJS.ProcessEnv = process.env): ServerAuth | undefined {
  let password: string | undefined
  if (passwordEnv !== undefined) {
    if (!ENV_NAME.test(passwordEnv)) {
      throw new ServerConfigError(`--server-password-env takes the name of an environment variable (such as MY_OPENCODE_PASSWORD), not "${passwordEnv}".`)
    }
    password = env[passwordEnv]
    if (!password) throw new ServerConfigError(`--server-password-env names ${passwordEnv}, which is not set; export ${passwordEnv}=<the server's password> first.`)
  } else password = env.OPENCODE_SERVER_PASSWORD || undefined
  return password ? { username: env.OPENCODE_SERVER_USERNAME || 'opencode', password } : undefined
}

export function authedClient(url: string, directory: string, auth: ServerAuth | undefined): OpencodeClient {
  return createOpencodeClient({ baseUrl: url, directory, ...(auth ? { headers: { Authorization: basicAuthHeader(auth) } } : {}) })
}

/** An http(s) URL without its trailing slash, or a sentence saying what is wrong (`what` names where it came from). */
export function checkServerUrl(value: string, what = '--server'): string {
  try {
    const url = new URL(value)
    if (url.protocol === 'http:' || url.protocol === 'https:') return value.replace(/\/$/, '')
  } catch {
    // not a URL at all
  }
  throw new ServerConfigError(`${what} takes an http(s) URL such as http://127.0.0.1:4096, not "${value}".`)
}

/** --server URLs with their --server-password-env names: one name for all of them, or one per server in order. */
export function pairServers(urls: readonly string[], passwordEnvs: readonly string[] = []): ServerSpec[] {
  if (passwordEnvs.length > 1 && passwordEnvs.length !== urls.length) {
    throw new ServerConfigError(
      `--server-password-env was given ${passwordEnvs.length} times for ${urls.length} --server URL(s); give it once (for every server) or once per --server, in the same order.`,
    )
  }
  return urls.map((url, i) => ({ url, passwordEnv: passwordEnvs.length > 1 ? passwordEnvs[i] : passwordEnvs[0] }))
}

/** `servers` from the user's ocdw.json: ["http://host:4096", { "url": "...", "passwordEnv": "NAME" }]. Never throws;
 *  entries that cannot work, and a project's list, are reported in `problems`. */
export function loadServerList(projectDir: string): { servers: ServerSpec[]; problems: string[] } {
  const out = { servers: [] as ServerSpec[], problems: [] as string[] }
  for (const file of readOcdwConfigs(projectDir)) {
    const list = configSection(file, 'servers')
    if (list === undefined) continue
    if (file.scope === 'project') {
      out.problems.push(`"servers" in ${file.path} is ignored: a project cannot choose where your agents run; list servers in your own ocdw.json or pass --server.`)
      continue
    }
    if (!Array.isArray(list)) {
      out.problems.push(`"servers" in ${file.path} must be a list like ["http://host:4096", { "url": "http://host2:4096", "passwordEnv": "HOST2_PASSWORD" }], so it is ignored.`)
      continue
    }
    list.forEach((entry, i) => {
      const spec = typeof entry === 'string' ? { url: entry } : (entry as ServerSpec | null)
      try {
        if (!spec || typeof spec.url !== 'string') throw new ServerConfigError('it has no "url"')
        if (spec.passwordEnv !== undefined && (typeof spec.passwordEnv !== 'string' || !ENV_NAME.test(spec.passwordEnv))) throw new ServerConfigError('its "passwordEnv" is not the name of an environment variable')
        out.servers.push({ url: checkServerUrl(spec.url, `"servers[${i}]"`), ...(spec.passwordEnv ? { passwordEnv: spec.passwordEnv } : {}) })
      } catch (e) {
        out.problems.push(`"servers[${i}]" in ${file.path} is ignored (${(e as Error).message.replace(/\.$/, '')}); fix the entry.`)
      }
    })
  }
  return out
}
