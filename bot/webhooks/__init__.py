"""Pivotal webhooks: the ASGI receiver, the durable inbox, and applying verified events."""
