"""Where shared state lives: in memory (the default, one process) or in Redis (REDIS_URL)."""
