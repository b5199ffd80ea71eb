"""Follows: channels and people hear when a customer or a segment changes (pure domain)."""
