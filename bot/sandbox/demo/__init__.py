"""`pivotal-bot demo`: the real bot, the sandbox Pivotal and a stand-in Slack, in a terminal."""
