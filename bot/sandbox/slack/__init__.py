"""The local stand-in for Slack: its Web API and response_url sink, and what Slack sends the bot."""
