// The offline model's HTTP server (node:http, no framework): OpenAI-compatible POST /v1/chat/completions (SSE or
// JSON, tool calls, usage) and GET /v1/models. What it answers is decided by reply.ts; this file only speaks HTTP,
// applies latency, and writes the request log.
import { appendFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { estimateTokens } from './hash.js'
import { contentText, isTitleRequest, lastUserText, planReply, type ChatRequest, type ReplyPlan } from './reply.js'
import { loadRulesFile, OfflineModelConfigError, parseRulesConfig, type OfflineRule, type OfflineRulesConfig } from './rules.js'

export const OFFLINE_MODEL_ID = 'offline'

export interface OfflineModelOptions {
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number
  /** Rules (or a whole rules config). Default: the file named by OCDW_OFFLINE_RULES, else none. */
  rules?: OfflineRule[] | OfflineRulesConfig
  latencyMs?: number
  failureRate?: number
  seed?: number
  /** Rate-limit like a provider: past this many chat requests in flight, answer 429 with retry-after-ms at once. */
  maxInFlight?: number
  /** Append one JSON line per request here. Default: OCDW_OFFLINE_LOG. */
  logFile?: string
  /** Append one JSON line per chat request the moment it arrives (before any latency): a request still in flight,
   *  or one whose process was killed before it was answered, shows here and never in logFile. Default:
   *  OCDW_OFFLINE_ARRIVALS. */
  arrivalsFile?: string
  /** Also write each request's system prompt into the log line (`system`). Default: OCDW_OFFLINE_LOG_SYSTEM=1. */
  logSystem?: boolean
  /** retry-after-ms sent with injected failures (default 20). */
  retryAfterMs?: number
}

export interface OfflineModel {
  /** Base URL for OpenAI clients, ending with /v1. */
  url: string
  port: number
  stats: { requests: number; rateLimited: number }
  stop(): Promise<void>
}

export interface OfflineLogLine {
  at: string
  lastUser: string
  kind: ReplyPlan['kind']
  tools: string[]
  status: number
  /** Chat requests being answered at this moment, this one included (a rate-limited one is not answered; title
   *  requests are not counted). */
  inFlight: number
  /** When the request arrived (the line is written when it is answered): in-flight over time, for benches. */
  startedAt?: string
  /** The system prompt, when logSystem is on. */
  system?: string
}

export async function startOfflineModel(options: OfflineModelOptions = {}): Promise<OfflineModel> {
  const stats = { requests: 0, rateLimited: 0 }
  const chat = createChatHandler(resolveConfig(options), options, stats)
  const server = createServer((req, res) => {
    route(req, res, chat).catch((err) => sendError(res, 500, `offline model internal error: ${(err as Error).message}`, 'server_error'))
  })
  const port = await listen(server, options.port)
  server.keepAliveTimeout = 1000

  let stopped: Promise<void> | undefined
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    stats,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
      return stopped
    },
  }
}

type ChatHandler = (body: ChatRequest, res: ServerResponse) => Promise<void>

/** The two routes, and a sentence naming them for anything else. */
async function route(req: IncomingMessage, res: ServerResponse, chat: ChatHandler): Promise<void> {
  const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '')
  if (req.method === 'GET' && (path === '/v1/models' || path === '/models')) {
    return sendJson(res, 200, { object: 'list', data: [{ id: OFFLINE_MODEL_ID, object: 'model', created: 0, owned_by: 'ocdw-offline' }] })
  }
  if (req.method === 'POST' && (path === '/v1/chat/completions' || path === '/chat/completions')) {
    let body: ChatRequest
    try {
      body = JSON.parse(await readBody(req)) as ChatRequest
    } catch {
      return sendError(res, 400, 'The request body is not valid JSON.', 'invalid_request_error')
    }
    return chat(body, res)
  }
  sendError(res, 404, `The offline model has no route ${req.method} ${path}; use POST /v1/chat/completions or GET /v1/models.`, 'not_found')
}

/** Answers chat completions: rate limit, the rules' reply (with latency and injected failures), usage, the log. */
function createChatHandler(config: OfflineRulesConfig, options: OfflineModelOptions, stats: OfflineModel['stats']): ChatHandler {
  const logFile = options.logFile ?? (process.env.OCDW_OFFLINE_LOG || undefined)
  const logSystem = options.logSystem ?? process.env.OCDW_OFFLINE_LOG_SYSTEM === '1'
  const arrivalsFile = options.arrivalsFile ?? (process.env.OCDW_OFFLINE_ARRIVALS || undefined)
  const retryAfterMs = options.retryAfterMs ?? 20
  const seenKeys = new Map<string, number>()
  const state = {
    seen(key: string) {
      const n = seenKeys.get(key) ?? 0
      seenKeys.set(key, n + 1)
      return n
    },
  }
  // Chat requests being answered right now: logged with each request, so tests can check an orchestrator's
  // concurrency at the model.
  let inFlight = 0

  function log(plan: Pick<ReplyPlan, 'lastUser' | 'kind' | 'tools' | 'status'>, body: ChatRequest, startedAt?: string): void {
    if (!logFile) return
    const line: OfflineLogLine = { at: new Date().toISOString(), lastUser: plan.lastUser, kind: plan.kind, tools: plan.tools, status: plan.status, inFlight, startedAt }
    if (logSystem) line.system = systemText(body)
    appendFileSync(logFile, JSON.stringify(line) + '\n')
  }

  return async (body, res) => {
    stats.requests++
    const startedAt = new Date().toISOString()
    // OpenCode's own title requests (its small model, which a provider limits apart) are neither limited nor counted.
    const messages = Array.isArray(body.messages) ? body.messages : []
    const title = isTitleRequest(systemText(body), messages)
    if (arrivalsFile) appendFileSync(arrivalsFile, JSON.stringify({ at: startedAt, lastUser: lastUserText(messages), title }) + '\n')
    if (config.maxInFlight !== undefined && !title && inFlight >= config.maxInFlight) {
      // Refused before any work, as a provider's rate limiter does; not counted in flight, and the rules' answers
      // (which count repeats) are untouched, so a retried request gets the answer it would have got.
      stats.rateLimited++
      log({ lastUser: lastUserText(messages), tools: [], kind: 'fail', status: 429 }, body, startedAt)
      const retry = { 'retry-after-ms': String(config.rateLimitRetryAfterMs ?? 250) }
      return sendError(res, 429, `Rate limit reached for the offline model: more than ${config.maxInFlight} requests in flight.`, 'rate_limit_exceeded', retry)
    }
    if (!title) {
      inFlight++
      res.once('close', () => inFlight--)
    }
    const plan = planReply(body, config, state)
    const latency = plan.latencyMs ?? config.latencyMs
    if (latency) await new Promise((r) => setTimeout(r, latency))
    log(plan, body, startedAt)
    if (plan.kind === 'fail') return sendInjectedFailure(res, plan, retryAfterMs)
    const model = body.model ?? OFFLINE_MODEL_ID
    return body.stream ? sendStream(res, plan, model, usageOf(body, plan)) : sendCompletion(res, plan, model, usageOf(body, plan))
  }
}

/** OpenCode retries 429/5xx (5 times, 2 s doubling); retry-after-ms makes it retry at once, so an injected failure
 *  either clears on the next roll or surfaces as an error within a second instead of minutes. */
function sendInjectedFailure(res: ServerResponse, plan: ReplyPlan, retryAfterMs: number): void {
  const retry = { 'retry-after-ms': String(retryAfterMs) }
  return plan.status === 429
    ? sendError(res, 429, 'Rate limit reached for the offline model (injected failure).', 'rate_limit_exceeded', retry)
    : sendError(res, 500, 'The offline model failed on purpose (injected failure).', 'server_error', retry)
}

/** Token usage as a provider reports it, estimated from the request and the answer's text. */
function usageOf(body: ChatRequest, plan: ReplyPlan): Usage {
  const promptTokens = estimateTokens(JSON.stringify(body.messages ?? []) + JSON.stringify(body.tools ?? []))
  const completionTokens = estimateTokens((plan.text ?? '') + (plan.toolCalls ?? []).map((c) => c.name + c.arguments).join(''))
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens }
}

/** Listens on 127.0.0.1 (port 0 picks a free one); a taken port is a sentence saying what to do. */
function listen(server: Server, port: number | undefined): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new OfflineModelConfigError(`Port ${port} on 127.0.0.1 is already in use; choose another with --port, or stop what is listening there.`)
          : new OfflineModelConfigError(`The offline model could not listen on 127.0.0.1:${port ?? 0} (${err.message}).`),
      )
    })
    server.listen(port ?? 0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

/** Options win over the rules file (OCDW_OFFLINE_RULES) they may replace. */
function resolveConfig(o: OfflineModelOptions): OfflineRulesConfig {
  const envFile = process.env.OCDW_OFFLINE_RULES
  const base: OfflineRulesConfig =
    o.rules !== undefined ? parseRulesConfig(o.rules, 'the rules option') : envFile ? loadRulesFile(envFile) : { rules: [] }
  return {
    rules: base.rules,
    latencyMs: o.latencyMs ?? base.latencyMs,
    failureRate: o.failureRate ?? base.failureRate,
    seed: o.seed ?? base.seed,
    maxInFlight: o.maxInFlight ?? base.maxInFlight,
    rateLimitRetryAfterMs: base.rateLimitRetryAfterMs,
  }
}

type Usage = { prompt_tokens: number; completion_tokens: number; total_tokens: number }

function sendCompletion(res: ServerResponse, plan: ReplyPlan, model: string, usage: Usage): void {
  const toolCalls = plan.toolCalls?.map((c) => ({ id: c.id, type: 'function', function: { name: c.name, arguments: c.arguments } }))
  sendJson(res, 200, {
    id: completionId(plan),
    object: 'chat.completion',
    created: 0,
    model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: plan.text ?? null, ...(toolCalls ? { tool_calls: toolCalls } : {}) },
        finish_reason: toolCalls ? 'tool_calls' : 'stop',
      },
    ],
    usage,
  })
}

function sendStream(res: ServerResponse, plan: ReplyPlan, model: string, usage: Usage): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
  const id = completionId(plan)
  const chunk = (delta: unknown, finish: string | null = null) =>
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`)
  chunk({ role: 'assistant', content: '' })
  if (plan.text) for (const piece of plan.text.match(/\S+\s*|\s+/g) ?? []) chunk({ content: piece })
  plan.toolCalls?.forEach((c, index) => {
    chunk({ tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] })
    for (let i = 0; i < c.arguments.length; i += 64) chunk({ tool_calls: [{ index, function: { arguments: c.arguments.slice(i, i + 64) } }] })
  })
  chunk({}, plan.toolCalls?.length ? 'tool_calls' : 'stop')
  res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 0, model, choices: [], usage })}\n\n`)
  res.end('data: [DONE]\n\n')
}

function systemText(body: ChatRequest): string {
  return (Array.isArray(body.messages) ? body.messages : []).filter((m) => m.role === 'system' || m.role === 'developer').map((m) => contentText(m.content)).join('\n')
}

function completionId(plan: ReplyPlan): string {
  return `chatcmpl-offline-${(plan.toolCalls?.[0]?.id ?? '').slice(5, 17) || Buffer.from(plan.lastUser).toString('hex').slice(0, 12) || 'empty'}`
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function sendError(res: ServerResponse, status: number, message: string, type: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) return void res.end()
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
  sendJson(res, status, { error: { message, type, param: null, code: type } })
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    req.on('data', (d: Buffer) => parts.push(d))
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')))
    req.on('error', reject)
  })
}
