"""The channel-neutral event pipeline: inbox (exactly-once, ordered per user) and outbox."""
