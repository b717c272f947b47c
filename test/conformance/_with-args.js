export const meta = { name: 'with-args' }
const r = await agent(`research ${args.topic} to depth ${args.depth}`)
return { topic: args.topic, depth: args.depth, answered: typeof r }
