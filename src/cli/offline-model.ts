// `ocdw offline-model [--port n] [--rules file]`: runs the offline model (a deterministic OpenAI-compatible server,
// no API key) in the foreground until SIGINT/SIGTERM, for pointing any OpenAI-compatible client or OpenCode at it.
import { Command, InvalidArgumentError } from 'commander'
import { loadRulesFile } from '../offline/rules.js'
import { startOfflineModel } from '../offline/server.js'

export function offlineModelCommand(): Command {
  return new Command('offline-model')
    .description('run the offline model: a deterministic OpenAI-compatible server on 127.0.0.1 (no API key)')
    .option('--port <n>', 'port on 127.0.0.1 (default: a free one)', parsePort)
    .option('--rules <file>', 'rules file (JSON: { rules, latencyMs, failureRate, seed }); default: OCDW_OFFLINE_RULES')
    .action(async (flags: { port?: number; rules?: string }) => {
      // Validate the rules file before anything listens, so a bad file leaves nothing running.
      const rules = flags.rules ? loadRulesFile(flags.rules) : undefined
      const model = await startOfflineModel({ port: flags.port, rules })
      process.stdout.write(`offline model listening on ${model.url} (deterministic answers, no API key)\n`)
      await new Promise<void>((resolve) => {
        const finish = () => {
          process.off('SIGINT', finish)
          process.off('SIGTERM', finish)
          resolve()
        }
        process.once('SIGINT', finish)
        process.once('SIGTERM', finish)
      })
      await model.stop()
      process.stderr.write(`offline model stopped (${model.stats.requests} requests answered)\n`)
    })
}

function parsePort(value: string): number {
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`"${value}" is not a port number; give an integer from 0 to 65535.`)
  return n
}
