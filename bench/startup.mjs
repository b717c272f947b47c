// bench startup: wall time of a one-agent `ocdw run --script one.js --yes` against `opencode run "<same prompt>"`,
// both with the same offline provider in the user's OpenCode config (a temp HOME), the same project, alternated so
// drift hits both sides. Goal: ratio <= 1.2 (issue 19). ROUNDS=n (default 3); medians are compared.
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { startOfflineModel } from '../dist/offline/server.js'
import { isolatedEnv, offlineOpencodeConfig } from '../dist/offline/testbed.js'
import { resolveOpencodeBinary } from '../dist/opencode/server.js'
import { machine, tempProject } from './lib.mjs'

const BIN = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '../bin/ocdw.js')
const ROUNDS = Number(process.env.ROUNDS ?? 3)
const PROMPT = 'hello there'

const root = tempProject('ocdw-bench-startup-')
const home = join(root.dir, 'home')
const project = join(root.dir, 'project')
mkdirSync(project, { recursive: true })
const model = await startOfflineModel({})
const env = isolatedEnv(home)
mkdirSync(join(env.XDG_CONFIG_HOME, 'opencode'), { recursive: true })
writeFileSync(join(env.XDG_CONFIG_HOME, 'opencode', 'opencode.json'), JSON.stringify(offlineOpencodeConfig(model.url), null, 2))
writeFileSync(join(project, 'one.js'), `export const meta = { name: 'one' }\nreturn await agent(${JSON.stringify(PROMPT)})\n`)

/** Wall time of one command, from spawn to exit; throws with its stderr when it fails. */
function timed(command, args) {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now()
    const child = spawn(command, args, { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    child.on('exit', (code) => {
      const ms = performance.now() - t0
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out.slice(-2000)}`))
      else resolvePromise(ms)
    })
  })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const opencode = resolveOpencodeBinary()
const ocdwMs = []
const opencodeMs = []
try {
  // One untimed round of each: the first start of a fresh HOME installs the provider package and builds caches.
  await timed(opencode, ['run', PROMPT])
  await timed(process.execPath, [BIN, 'run', '--script', 'one.js', '--yes'])
  for (let i = 0; i < ROUNDS; i++) {
    opencodeMs.push(await timed(opencode, ['run', PROMPT]))
    ocdwMs.push(await timed(process.execPath, [BIN, 'run', '--script', 'one.js', '--yes']))
  }
} finally {
  await model.stop()
  root.cleanup()
}
const s = (xs) => xs.map((x) => (x / 1000).toFixed(2)).join(', ')
console.log(`machine: ${machine()}`)
console.log(`opencode run "${PROMPT}": ${s(opencodeMs)} s (median ${(median(opencodeMs) / 1000).toFixed(2)} s)`)
console.log(`ocdw run --script one.js --yes: ${s(ocdwMs)} s (median ${(median(ocdwMs) / 1000).toFixed(2)} s)`)
console.log(`bench startup: ratio ${(median(ocdwMs) / median(opencodeMs)).toFixed(2)} (goal <= 1.2)`)
