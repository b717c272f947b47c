// run.json: the run's identity and outcome (id, name, args, options, status, times, totals). Validated with zod on
// read so a damaged file gives a sentence, not a crash deep in a surface.
import { existsSync, readFileSync } from 'node:fs'
import { z } from 'zod'
import { writeFileAtomic } from './atomic.js'
import { runPaths } from './run-dir.js'

const Totals = z.object({
  agents: z.object({
    total: z.number(),
    done: z.number(),
    failed: z.number(),
    stopped: z.number(),
    skipped: z.number().default(0),
    cached: z.number().default(0),
  }),
  tokens: z.object({ input: z.number(), output: z.number(), reasoning: z.number(), total: z.number() }),
  cost: z.number().default(0),
})

export const RunFileSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().optional(),
    projectDir: z.string(),
    args: z.unknown().optional(),
    options: z
      .object({ concurrency: z.number().optional(), maxAgents: z.number().optional(), budget: z.number().nullable().optional() })
      .passthrough(),
    status: z.string(),
    error: z.string().optional(),
    startedAt: z.number(),
    endedAt: z.number().optional(),
    /** Time the run ran before its latest resume (ms), and when that resume began. */
    activeMs: z.number().optional(),
    resumedAt: z.number().optional(),
    pid: z.number().optional(),
    host: z.string().optional(),
    totals: Totals,
  })
  .passthrough()

export type RunFile = z.infer<typeof RunFileSchema>

export class RunFileError extends Error {
  readonly exitCode = 2
}

export function readRunFile(runDir: string): RunFile {
  const path = runPaths(runDir).run
  if (!existsSync(path)) throw new RunFileError(`${runDir} has no run.json; it is not an ocdw run directory.`)
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new RunFileError(`${path} is not valid JSON (${(err as Error).message}); the journal still holds the agents' results.`)
  }
  const parsed = RunFileSchema.safeParse(raw)
  if (!parsed.success) {
    throw new RunFileError(`${path} is damaged (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}).`)
  }
  return parsed.data
}

export function writeRunFile(runDir: string, run: RunFile): void {
  writeFileAtomic(runPaths(runDir).run, JSON.stringify(run, null, 2) + '\n')
}
