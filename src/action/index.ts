import { keepMemoryLow } from '../runtime/memory.js'
import { run } from './main.js'

keepMemoryLow()
await run()
