// 13.2: two resumers racing for a run whose previous owner died must never both own it. Hundreds of pairs of real
// processes race for the same run dir (with a dead holder's lock file in it, the case the old read-then-unlink
// takeover lost); each winner holds its lock until both racers have answered, and exactly one may win each time.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const LOCK_MODULE = resolve(__dirname, '../../dist/store/lock.js')
const PAIRS = Number(process.env.LOCK_RACE_PAIRS ?? 200)
const AT_ONCE = 6
const root = mkdtempSync(join(tmpdir(), 'ocdw-lock-race-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

// Each racer loads the lock module, says "ready", waits for "go", tries once, says won/lost, then holds on until
// its stdin closes (a winner keeps its lock while the other racer tries).
const RACER = `
import { acquireLock } from ${JSON.stringify(LOCK_MODULE)}
const dir = process.argv[1]
process.stdout.write('ready\\n')
let buf = ''
process.stdin.on('data', async (d) => {
  buf += d
  if (!buf.includes('go')) return
  buf = ''
  try { await acquireLock(dir); process.stdout.write('won\\n') }
  catch (e) { process.stdout.write((/in use/.test(e.message) ? 'lost' : 'error ' + e.message) + '\\n') }
})
process.stdin.on('end', () => process.exit(0))
`

function racer(dir: string): { child: ChildProcess; line(n: number): Promise<string> } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', RACER, dir], { stdio: ['pipe', 'pipe', 'inherit'] })
  let out = ''
  const waiters: (() => void)[] = []
  child.stdout!.on('data', (d) => {
    out += d
    waiters.splice(0).forEach((w) => w())
  })
  const line = (n: number) =>
    new Promise<string>((resolveLine, reject) => {
      const check = () => {
        const lines = out.split('\n').filter(Boolean)
        if (lines.length >= n) return resolveLine(lines[n - 1]!)
        if (child.exitCode !== null) return reject(new Error(`racer exited early: ${out}`))
        waiters.push(check)
      }
      check()
    })
  return { child, line }
}

async function racePair(i: number): Promise<string[]> {
  const dir = join(root, `run-${i}`)
  const { mkdirSync } = await import('node:fs')
  mkdirSync(dir)
  // The previous owner died: its lock file names a pid that is not running.
  writeFileSync(join(dir, 'lock'), JSON.stringify({ pid: 2 ** 22 + i, host: hostname(), at: 0 }))
  const a = racer(dir)
  const b = racer(dir)
  await Promise.all([a.line(1), b.line(1)])
  a.child.stdin!.write('go\n')
  b.child.stdin!.write('go\n')
  const outcome = await Promise.all([a.line(2), b.line(2)])
  a.child.stdin!.end()
  b.child.stdin!.end()
  await Promise.all([a, b].map((r) => new Promise((done) => (r.child.exitCode !== null ? done(null) : r.child.on('exit', done)))))
  return outcome
}

describe('run lock under races', () => {
  it(`13.2 of ${PAIRS} pairs of processes racing for a dead owner's run, exactly one wins each time`, async () => {
    const results: string[][] = []
    let next = 0
    await Promise.all(
      Array.from({ length: AT_ONCE }, async () => {
        while (next < PAIRS) results.push(await racePair(next++))
      }),
    )
    const bothWon = results.filter((r) => r.every((x) => x === 'won')).length
    const noneWon = results.filter((r) => r.every((x) => x === 'lost')).length
    const errors = results.flat().filter((x) => x.startsWith('error'))
    expect(errors).toEqual([])
    expect({ pairs: results.length, bothWon, noneWon }).toEqual({ pairs: PAIRS, bothWon: 0, noneWon: 0 })
  }, 600_000)
})
