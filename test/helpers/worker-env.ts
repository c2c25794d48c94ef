import { inject } from 'vitest';

// Each test worker sees the Redis the global setup resolved as REDIS_URL, as
// the functions and the CLI read it. Under the unit config nothing is provided.
const provided = inject('redisUrl');
if (provided && !process.env.REDIS_URL) process.env.REDIS_URL = provided;
