// 13.6: which failures are the infrastructure's (the run is interrupted, resumable) and which are the agent's own
// (its agent() resolves null). The end-to-end side (a server that dies mid-run) is in test/e2e/resume-trust.test.ts.
import { describe, expect, it } from 'vitest'
import { finalFailure, InfrastructureError, isInfrastructureError, markInfra, modelCause, opencodeCause } from '../../src/opencode/infra-failure.js'

describe('infrastructure failures', () => {
  it('13.6 no answer and refused credentials from OpenCode are the infrastructure; other HTTP errors are not', () => {
    expect(opencodeCause(undefined, 'fetch failed')).toMatch(/^OpenCode could not be reached \(fetch failed\)$/)
    expect(opencodeCause(401, 'Unauthorized')).toMatch(/^OpenCode refused ocdw's credentials \(HTTP 401\); check OPENCODE_SERVER_PASSWORD/)
    expect(opencodeCause(403, 'Forbidden')).toMatch(/HTTP 403/)
    expect(opencodeCause(500, 'boom')).toBeUndefined()
    expect(opencodeCause(400, 'bad agent')).toBeUndefined()
  })

  it('13.6 a provider out of quota, unreachable or refusing its key is the infrastructure; a bad answer is the agent\'s', () => {
    expect(modelCause({ name: 'APIError', data: { statusCode: 429, message: 'usage limit reached' } })).toMatch(/rate or usage limit was reached \(usage limit reached\)/)
    expect(modelCause({ name: 'APIError', data: { isRetryable: true, message: 'ECONNREFUSED' } })).toMatch(/could not be reached/)
    expect(modelCause({ name: 'ProviderAuthError', data: { message: 'invalid x-api-key' } })).toMatch(/refused its credentials/)
    expect(modelCause({ name: 'APIError', data: { statusCode: 401, message: 'no' } })).toMatch(/refused its credentials \(HTTP 401/)
    expect(modelCause({ name: 'APIError', data: { statusCode: 500, isRetryable: true, message: 'overloaded' } })).toBeUndefined()
    expect(modelCause({ name: 'StructuredOutputError', data: { message: 'no match' } })).toBeUndefined()
    expect(modelCause(undefined)).toBeUndefined()
  })

  it('13.6 only a marked error that survived its retries becomes an InfrastructureError', () => {
    const plain = new Error('the agent failed')
    expect(finalFailure(plain, 4)).toBe(plain)
    const marked = markInfra(new Error('Could not reach OpenCode'), opencodeCause(undefined, 'ECONNREFUSED'))
    const final = finalFailure(marked, 4)
    expect(final).toBeInstanceOf(InfrastructureError)
    expect(isInfrastructureError(final)).toBe(true)
    expect((final as Error).message).toBe('OpenCode could not be reached (ECONNREFUSED), still after 4 attempts')
    expect(isInfrastructureError(plain)).toBe(false)
  })
})
