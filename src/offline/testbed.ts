// The offline test bed: the offline model plus a real `opencode serve` that uses it as its only provider, in an
// isolated HOME/XDG tree (the user's own OpenCode config, auth and data are never read or written). Used by the
// integration tests and by `ocdw run --offline` / `ocdw demo`. The OpenCode config goes into the temp
// XDG_CONFIG_HOME, never into the project directory.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createOpencodeClient, type OpencodeClient } from '@opencode-ai/sdk/v2'
import { basicAuthHeader, startOpencodeServer, type ServerAuth } from '../opencode/server.js'
import { makeOwnedTempDir, reclaimDeadTempDirs } from '../store/temp-dirs.js'
import { startOfflineModel, type OfflineModel, type OfflineModelOptions } from './server.js'

export const OFFLINE_PROVIDER_ID = 'ocdw-offline'
export const OFFLINE_MODEL = 'ocdw-offline/offline'

/** The offline model's options (rules, latency, failures, log), plus where and how OpenCode runs. */
export interface OfflineTestbedOptions extends Pick<OfflineModelOptions, 'rules' | 'latencyMs' | 'failureRate' | 'seed' | 'logFile' | 'logSystem' | 'maxInFlight' | 'arrivalsFile'> {
  /** Project directory OpenCode works in (default: a new temp dir). */
  projectDir?: string
  /** OpenCode plugins to load (the `plugin` list of the generated config), e.g. a file:// URL of a built plugin. */
  plugins?: string[]
  /** Extra environment for `opencode serve` (applied after the isolation switches). */
  env?: NodeJS.ProcessEnv
  /** OpenCode `permission` entries merged over the headless defaults (e.g. `{ bash: 'ask' }` to test permission
   * requests surfacing in the CLI/TUI). */
  permission?: Record<string, unknown>
}

export interface OfflineTestbed {
  url: string
  /** pid of `opencode serve` (leader of its own process group). */
  pid: number
  client: OpencodeClient
  projectDir: string
  home: string
  env: NodeJS.ProcessEnv
  offline: OfflineModel
  logFile: string
  model: typeof OFFLINE_MODEL
  /** The server's fresh random Basic-auth credentials (every request needs them). */
  auth: ServerAuth
  stop(): Promise<void>
  /** Ends everything without waiting: the server's watchdog finishes its shutdown and removes the temp home. */
  release(): void
}

/** The OpenCode config that makes the offline model the only provider (exported for docs and tests). */
export function offlineOpencodeConfig(baseURL: string): Record<string, unknown> {
  return {
    $schema: 'https://opencode.ai/config.json',
    model: OFFLINE_MODEL,
    small_model: OFFLINE_MODEL,
    enabled_providers: [OFFLINE_PROVIDER_ID],
    autoupdate: false,
    share: 'disabled',
    provider: {
      [OFFLINE_PROVIDER_ID]: {
        name: 'ocdw offline model',
        npm: '@ai-sdk/openai-compatible',
        options: { baseURL, apiKey: 'offline-no-key', includeUsage: true },
        models: {
          offline: {
            name: 'offline model',
            tool_call: true,
            attachment: false,
            reasoning: false,
            temperature: true,
            cost: { input: 0, output: 0 },
            limit: { context: 128000, output: 8192 },
          },
        },
      },
    },
    // Headless: edits and commands run without asking; the question tool would wait for a human forever.
    permission: { '*': 'allow', edit: 'allow', bash: 'allow', webfetch: 'allow', external_directory: 'allow', question: 'deny' },
  }
}

/** Environment switches that keep OpenCode offline and isolated (docs/ARCHITECTURE.md §7). */
export function isolatedEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    // Drop anything that would point OpenCode at another config, server password or the user's dirs.
    if (k.startsWith('OPENCODE_') || k.startsWith('XDG_')) continue
    env[k] = v
  }
  return {
    ...env,
    HOME: home,
    USERPROFILE: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_STATE_HOME: join(home, '.local', 'state'),
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_CLAUDE_CODE: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    OPENCODE_DISABLE_SHARE: '1',
  }
}

const HOME_PREFIX = 'ocdw-offline-home-'

export async function startOfflineTestbed(o: OfflineTestbedOptions = {}): Promise<OfflineTestbed> {
  // Temp homes of test beds whose process died (kill -9) go first; this one is stamped so a later start can do the same.
  reclaimDeadTempDirs(HOME_PREFIX)
  const home = makeOwnedTempDir(HOME_PREFIX)
  const ownProject = o.projectDir === undefined
  const projectDir = o.projectDir ?? mkdtempSync(join(tmpdir(), 'ocdw-offline-project-'))
  const logFile = o.logFile ?? (process.env.OCDW_OFFLINE_LOG || join(home, 'offline-model.log'))
  const cleanup = () => {
    rmSync(home, { recursive: true, force: true })
    if (ownProject) rmSync(projectDir, { recursive: true, force: true })
  }
  let offline: OfflineModel
  try {
    offline = await startOfflineModel({ rules: o.rules, latencyMs: o.latencyMs, failureRate: o.failureRate, seed: o.seed, maxInFlight: o.maxInFlight, logFile, logSystem: o.logSystem, arrivalsFile: o.arrivalsFile })
  } catch (err) {
    cleanup()
    throw err
  }
  const env = { ...isolatedEnv(home), ...o.env }
  for (const key of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME'] as const) mkdirSync(env[key]!, { recursive: true })
  const configDir = join(env.XDG_CONFIG_HOME!, 'opencode')
  mkdirSync(configDir, { recursive: true })
  const config = offlineOpencodeConfig(offline.url)
  if (o.plugins?.length) config.plugin = o.plugins
  if (o.permission) config.permission = { ...(config.permission as Record<string, unknown>), ...o.permission }
  writeFileSync(join(configDir, 'opencode.json'), JSON.stringify(config, null, 2))

  let server: Awaited<ReturnType<typeof startOpencodeServer>>
  try {
    server = await startOpencodeServer({ cwd: projectDir, env, cleanupDir: home })
  } catch (err) {
    await offline.stop()
    cleanup()
    throw err
  }
  const client = createOpencodeClient({ baseUrl: server.url, directory: projectDir, headers: { Authorization: basicAuthHeader(server.auth) } })
  let stopping: Promise<void> | undefined
  return {
    url: server.url,
    pid: server.pid,
    client,
    projectDir,
    home,
    env,
    offline,
    logFile,
    model: OFFLINE_MODEL,
    auth: server.auth,
    release() {
      if (stopping) return
      server.release()
      void offline.stop()
      if (ownProject) rmSync(projectDir, { recursive: true, force: true })
    },
    stop() {
      stopping ??= (async () => {
        await server.stop()
        await offline.stop()
        // Keep the log when the caller chose where it goes; the temp home (and a temp project) go away.
        cleanup()
      })()
      return stopping
    },
  }
}
