// Spawns `opencode serve` from the `opencode-ai` package (never from PATH) on a free loopback port, waits until it
// listens, and stops exactly what it started (its process group). Used by the offline test bed and by runs that
// spawn OpenCode in the project directory.
import { spawn } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import { dirname, join } from 'node:path'

export interface OpencodeServerOptions {
  /** Directory the server runs in (the project). */
  cwd: string
  /** Full environment for the server (default: this process's). */
  env?: NodeJS.ProcessEnv
  /** Port on 127.0.0.1 (default: a free one picked here). */
  port?: number
  /** Path of the opencode binary (default: the one from the opencode-ai package). */
  binary?: string
  /** How long to wait for "listening" (default 60 s). */
  startTimeoutMs?: number
}

export interface OpencodeServer {
  url: string
  pid: number
  stop(): Promise<void>
}

export class OpencodeStartError extends Error {
  readonly exitCode = 2
  constructor(message: string) {
    super(message)
    this.name = 'OpencodeStartError'
  }
}

/** The opencode binary shipped by the opencode-ai package this package depends on. */
export function resolveOpencodeBinary(): string {
  const require = createRequire(import.meta.url)
  let pkgDir: string
  try {
    pkgDir = dirname(require.resolve('opencode-ai/package.json'))
  } catch {
    throw new OpencodeStartError('The opencode-ai package is not installed next to ocdw; run `npm install` in the ocdw directory to get the opencode binary.')
  }
  const main = join(pkgDir, 'bin', 'opencode.exe')
  // With install scripts blocked, bin/opencode.exe may be the small placeholder; the platform package has the binary.
  if (existsSync(main) && statSync(main).size > 1_000_000) return main
  const platform = process.platform === 'win32' ? 'windows' : process.platform
  const file = process.platform === 'win32' ? 'opencode.exe' : 'opencode'
  const pkgRequire = createRequire(join(pkgDir, 'package.json'))
  for (const suffix of ['', '-baseline', '-musl', '-baseline-musl']) {
    try {
      const candidate = join(dirname(pkgRequire.resolve(`opencode-${platform}-${process.arch}${suffix}/package.json`)), 'bin', file)
      if (existsSync(candidate)) return candidate
    } catch {
      // not installed for this variant
    }
  }
  if (existsSync(main)) return main
  throw new OpencodeStartError(
    `The opencode binary was not found (looked at ${main} and the opencode-${platform}-${process.arch} package); reinstall with \`npm install\` so the opencode-ai platform package is present.`,
  )
}

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

const WATCHDOG = `"$0" "$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' TERM INT
while kill -0 $child 2>/dev/null; do
  if ! kill -0 "$OCDW_PARENT_PID" 2>/dev/null; then
    kill -TERM $child 2>/dev/null; sleep 2; kill -KILL $child 2>/dev/null; exit 0
  fi
  sleep 1
done
wait $child`

export async function startOpencodeServer(o: OpencodeServerOptions): Promise<OpencodeServer> {
  const binary = o.binary ?? resolveOpencodeBinary()
  if (!existsSync(binary)) throw new OpencodeStartError(`The opencode binary ${binary} does not exist; check the path or run \`npm install\`.`)
  const port = o.port ?? (await freePort())
  // A watchdog shell owns the server: when this process dies without stop() (kill -9, OOM), exit hooks do not run, so
  // the shell notices the parent is gone and ends the server instead of leaving it running for ever.
  const serveArgs = ['serve', '--hostname', '127.0.0.1', '--port', String(port)]
  const [command, args] = process.platform === 'win32' ? [binary, serveArgs] : ['/bin/sh', ['-c', WATCHDOG, binary, ...serveArgs]]
  const child = spawn(command, args, {
    cwd: o.cwd,
    env: { ...(o.env ?? process.env), OCDW_PARENT_PID: String(process.pid) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so stop() ends opencode and anything it started
  })
  const pid = child.pid
  const stderrLines: string[] = []
  let stdoutText = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderrLines.push(...d.split('\n').filter((l) => l.trim()))
    if (stderrLines.length > 20) stderrLines.splice(0, stderrLines.length - 20)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const killGroup = (signal: NodeJS.Signals) => {
    try {
      if (pid) process.kill(-pid, signal)
    } catch {
      // already gone
    }
  }
  // If this process exits without stop(), do not leave the server behind.
  const onExit = () => killGroup('SIGKILL')
  process.on('exit', onExit)

  const tail = () => (stderrLines.length ? ` Last output: ${stderrLines.slice(-5).join(' | ')}` : '')
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new OpencodeStartError(`opencode serve (${binary}) did not start listening on 127.0.0.1:${port} within ${(o.startTimeoutMs ?? 60_000) / 1000} s.${tail()}`)),
        o.startTimeoutMs ?? 60_000,
      )
      child.once('error', (err) => {
        clearTimeout(timer)
        reject(new OpencodeStartError(`Could not run the opencode binary ${binary} (${err.message}); reinstall with \`npm install\`.`))
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new OpencodeStartError(`opencode serve exited before it was ready (${signal ?? `exit code ${code}`}); if port ${port} is taken, pick another.${tail()}`))
      })
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        stdoutText = (stdoutText + d).slice(-4000)
        if (/listening on/i.test(stdoutText)) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
  } catch (err) {
    killGroup('SIGKILL')
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))])
    process.off('exit', onExit)
    throw err
  }
  // Keep draining output so the pipes never fill up.
  child.stdout!.resume()

  let stopping: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    pid: pid!,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          killGroup('SIGTERM')
          const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 5000))])
          if (timedOut) {
            killGroup('SIGKILL')
            await exited
          }
        }
        // Children of opencode that ignored SIGTERM are in the same group.
        killGroup('SIGKILL')
        process.off('exit', onExit)
      })()
      return stopping
    },
  }
}
