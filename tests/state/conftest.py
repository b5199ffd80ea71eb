from tests.redis_server import redis, redis_server

__all__ = ["redis", "redis_server"]
