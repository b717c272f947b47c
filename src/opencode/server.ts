// Spawns `opencode serve` from the `opencode-ai` package (never from PATH) on a free loopback port with a fresh random
// password (HTTP Basic auth, so no other local process can drive it), waits until it listens, and stops exactly what
// it started (its process group) within a deadline, however this process ends. Used by the offline test bed and by
// runs that spawn OpenCode in the project directory.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, rmSync, statSync } from 'node:fs'
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
  /** A directory (a temp HOME) removed once the server is gone, by the watchdog even when this process was killed. */
  cleanupDir?: string
  /** The credentials to require (default: a fresh random password); a server restarted in place keeps its own. */
  auth?: ServerAuth
}

/** HTTP Basic credentials of a server (OpenCode reads OPENCODE_SERVER_USERNAME / OPENCODE_SERVER_PASSWORD). */
export interface ServerAuth {
  username: string
  password: string
}

export interface OpencodeServer {
  url: string
  pid: number
  auth: ServerAuth
  /** Ends the server (SIGTERM, SIGKILL after a grace period) and waits until it and its group are gone. */
  stop(): Promise<void>
  /** Hands the shutdown to the watchdog and returns at once (the CLI's exit: the result is already printed). */
  release(): void
}

/** The Authorization header value for Basic auth. */
export function basicAuthHeader(auth: ServerAuth): string {
  return `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`
}

/** A fresh random password for one server (never reused, never written to disk). */
export function newServerAuth(): ServerAuth {
  return { username: 'opencode', password: randomBytes(32).toString('base64url') }
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

/** Wall-clock seconds (to the next whole second, so 2-3 s) the server gets after SIGTERM before SIGKILL; opencode
 * 1.18 takes ~2 s to exit when idle. */
const GRACE_S = 3

// The watchdog shell owns the server. It ends the server when this process is gone (kill -9, OOM: exit hooks never
// run) or when it gets TERM/INT/HUP: TERM to the group, at most GRACE_S of wall time for the server (no background
// timer: every helper process is reaped before the shell ends), then KILL, remove the temp dir, KILL whatever is left
// of the group (itself included). Every wait is bounded, and `sleep & wait` lets a signal
// interrupt the poll at once (a trap would otherwise wait for the foreground sleep).
const WATCHDOG = `"$0" "$@" &
child=$!
sleeper=
# Running and not a zombie: the shell reaps a background job only when it waits for it, so kill -0 alone would see an
# exited server as alive until the deadline.
running() {
  kill -0 $child 2>/dev/null || return 1
  [ -r /proc/$child/stat ] || return 0
  read -r st < /proc/$child/stat
  case "$st" in *") Z "*) return 1 ;; esac
  return 0
}
finish() {
  trap '' TERM INT HUP
  kill -TERM 0 2>/dev/null
  [ -n "$sleeper" ] && wait $sleeper 2>/dev/null
  end=$(( $(date +%s) + ${GRACE_S} ))
  while running && [ "$(date +%s)" -lt "$end" ]; do sleep 0.1; done
  kill -KILL $child 2>/dev/null
  wait $child 2>/dev/null
  [ -n "$OCDW_WATCHDOG_CLEANUP" ] && rm -rf "$OCDW_WATCHDOG_CLEANUP"
  kill -KILL 0
  exit 0
}
trap finish TERM INT HUP
while running; do
  kill -0 "$OCDW_PARENT_PID" 2>/dev/null || finish
  sleep 1 &
  sleeper=$!
  wait $sleeper
done
wait $child
code=$?
[ -n "$OCDW_WATCHDOG_CLEANUP" ] && rm -rf "$OCDW_WATCHDOG_CLEANUP"
exit $code`

/** The spawned server process and what is known about it while it starts and runs. */
interface ServerProcess {
  child: ChildProcess
  pid: number | undefined
  windows: boolean
  stderrLines: string[]
  exited: Promise<void>
  alive(): boolean
  killGroup(sig: NodeJS.Signals): void
  /** Asks the watchdog to end the server (bounded by its grace period); without a watchdog, the group directly. */
  askStop(): void
  /** Resolves true when the server exited within `ms`. */
  within(ms: number): Promise<boolean>
  /** Waits (at most `ms`) until no member of the process group is left. */
  groupGone(ms: number): Promise<void>
}

function spawnServer(o: OpencodeServerOptions, binary: string, port: number, auth: ServerAuth): ServerProcess {
  const serveArgs = ['serve', '--hostname', '127.0.0.1', '--port', String(port)]
  const windows = process.platform === 'win32'
  const [command, args] = windows ? [binary, serveArgs] : ['/bin/sh', ['-c', WATCHDOG, binary, ...serveArgs]]
  const child = spawn(command, args, {
    cwd: o.cwd,
    env: {
      ...(o.env ?? process.env),
      OPENCODE_SERVER_USERNAME: auth.username,
      OPENCODE_SERVER_PASSWORD: auth.password,
      OCDW_PARENT_PID: String(process.pid),
      ...(o.cleanupDir ? { OCDW_WATCHDOG_CLEANUP: o.cleanupDir } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group, so stop() ends opencode and anything it started
  })
  const pid = child.pid
  const stderrLines: string[] = []
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderrLines.push(...d.split('\n').filter((l) => l.trim()))
    if (stderrLines.length > 20) stderrLines.splice(0, stderrLines.length - 20)
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const signal = (target: number | undefined, sig: NodeJS.Signals) => {
    try {
      if (target) process.kill(target, sig)
    } catch {
      // already gone
    }
  }
  const killGroup = (sig: NodeJS.Signals) => signal(pid && -pid, sig)
  return {
    child,
    pid,
    windows,
    stderrLines,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    killGroup,
    askStop: () => (windows ? killGroup('SIGKILL') : signal(pid, 'SIGTERM')),
    within: (ms) => Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]),
    async groupGone(ms) {
      for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
        try {
          if (pid) process.kill(-pid, 0)
        } catch {
          return
        }
      }
    },
  }
}

/** Resolves once the server says it listens; rejects with a sentence when it exits, fails to run, or takes too long. */
function untilListening(p: ServerProcess, binary: string, port: number, startTimeoutMs: number): Promise<void> {
  const tail = () => (p.stderrLines.length ? ` Last output: ${p.stderrLines.slice(-5).join(' | ')}` : '')
  let stdoutText = ''
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new OpencodeStartError(`opencode serve (${binary}) did not start listening on 127.0.0.1:${port} within ${startTimeoutMs / 1000} s.${tail()}`)), startTimeoutMs)
    p.child.once('error', (err) => {
      clearTimeout(timer)
      reject(new OpencodeStartError(`Could not run the opencode binary ${binary} (${err.message}); reinstall with \`npm install\`.`))
    })
    p.child.once('exit', (code, sig) => {
      clearTimeout(timer)
      reject(new OpencodeStartError(`opencode serve exited before it was ready (${sig ?? `exit code ${code}`}); if port ${port} is taken, pick another.${tail()}`))
    })
    p.child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      stdoutText = (stdoutText + d).slice(-4000)
      if (/listening on/i.test(stdoutText)) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
}

export async function startOpencodeServer(o: OpencodeServerOptions): Promise<OpencodeServer> {
  const binary = o.binary ?? resolveOpencodeBinary()
  if (!existsSync(binary)) throw new OpencodeStartError(`The opencode binary ${binary} does not exist; check the path or run \`npm install\`.`)
  const port = o.port ?? (await freePort())
  const auth = o.auth ?? newServerAuth()
  const p = spawnServer(o, binary, port, auth)
  // If this process exits without stop(), do not leave the server behind.
  const onExit = () => (p.alive() ? p.askStop() : p.killGroup('SIGKILL'))
  process.on('exit', onExit)
  try {
    await untilListening(p, binary, port, o.startTimeoutMs ?? 60_000)
  } catch (err) {
    p.killGroup('SIGKILL')
    await p.within(3000)
    if (o.cleanupDir) rmSync(o.cleanupDir, { recursive: true, force: true })
    process.off('exit', onExit)
    throw err
  }
  // Keep draining output so the pipes never fill up.
  p.child.stdout!.resume()

  let stopping: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}`,
    pid: p.pid!,
    auth,
    stop() {
      stopping ??= (async () => {
        if (p.alive()) {
          p.askStop()
          // The watchdog's own deadline is GRACE_S; past twice that, something is wrong with it: kill everything.
          if (!(await p.within(GRACE_S * 2000))) {
            p.killGroup('SIGKILL')
            await p.within(2000)
          }
        }
        // Children of opencode that ignored SIGTERM are in the same group. Wait (bounded) until the kernel has let go of
        // every member, so that when stop() returns nothing of the group exists any more.
        p.killGroup('SIGKILL')
        await p.groupGone(2000)
        if (o.cleanupDir) rmSync(o.cleanupDir, { recursive: true, force: true })
        process.off('exit', onExit)
      })()
      return stopping
    },
    release() {
      if (stopping) return
      process.off('exit', onExit)
      if (!p.alive()) return
      p.askStop()
      // Nothing here waits for the server any more: the process may exit while the watchdog finishes.
      p.child.stdout!.destroy()
      p.child.stderr!.destroy()
      p.child.unref()
    },
  }
}
