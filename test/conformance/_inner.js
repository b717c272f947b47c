export const meta = { name: 'inner' }
return { got: args, answer: await agent('inner work ' + args) }
