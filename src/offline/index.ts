// Public surface of the offline model (package export "ocdw/offline"): the server, its rules, and the test bed.
export { startOfflineModel, OFFLINE_MODEL_ID, type OfflineModel, type OfflineModelOptions, type OfflineLogLine } from './server.js'
export { loadRulesFile, parseRulesConfig, OfflineModelConfigError, type OfflineRule, type OfflineRulesConfig, type RuleReply } from './rules.js'
export { planReply, type ReplyPlan, type ReplyKind, type ChatRequest } from './reply.js'
export { fillSchema } from './schema-fill.js'
export { startOfflineTestbed, offlineOpencodeConfig, isolatedEnv, OFFLINE_MODEL, OFFLINE_PROVIDER_ID, type OfflineTestbed, type OfflineTestbedOptions } from './testbed.js'
