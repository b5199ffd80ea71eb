"""`make bench`: latency, Pivotal API budget, throughput and memory of the bot and a baseline."""
