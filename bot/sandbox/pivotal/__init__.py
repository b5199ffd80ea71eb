"""The sample Pivotal REST API: its server, data, faults, rate limit, webhooks and controls."""
