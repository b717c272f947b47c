// Before a run uses a server the user runs: does it answer, and does it take ocdw's credentials? Each failure is one
// sentence naming the server and what to set.
import { basicAuthHeader, type ServerAuth } from './server.js'
import type { ServerSpec } from './server-list.js'

export class ServerUnreachableError extends Error {
  readonly exitCode = 2
}

/** The server refused ocdw's credentials: the run cannot do anything, and says what to set. */
export class ServerAuthError extends Error {
  readonly exitCode = 1
}

/** The name of the variable a spec's password comes from, as the user set it. */
function passwordSource(spec: ServerSpec): string {
  return spec.passwordEnv ? `${spec.passwordEnv} (named by --server-password-env)` : 'OPENCODE_SERVER_PASSWORD'
}

export async function checkServerAnswers(spec: ServerSpec, auth: ServerAuth | undefined, pool = false): Promise<void> {
  const url = spec.url
  const instead = pool ? 'or drop it from the servers' : 'or drop --server to let ocdw start one'
  let res: Response
  try {
    res = await fetch(`${url}/config`, { signal: AbortSignal.timeout(5000), headers: auth ? { Authorization: basicAuthHeader(auth) } : {} })
    await res.body?.cancel()
  } catch (err) {
    throw new ServerUnreachableError(`The OpenCode server at ${url} did not answer (${(err as Error).message}); start it with \`opencode serve\`, ${instead}.`)
  }
  if (res.status === 401) {
    throw new ServerAuthError(
      auth
        ? `The OpenCode server at ${url} refused the password in ${passwordSource(spec)} (HTTP 401); set it to the server's password (and OPENCODE_SERVER_USERNAME if the server's user is not "opencode").`
        : `The OpenCode server at ${url} needs a password (HTTP 401); set OPENCODE_SERVER_PASSWORD to the server's password, or name the variable that holds it with --server-password-env.`,
    )
  }
  if (res.status >= 500) throw new ServerUnreachableError(`The OpenCode server at ${url} answered HTTP ${res.status}; check its log, ${instead}.`)
}
