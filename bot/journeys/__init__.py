"""Journeys: automated series of steps per member (welcome, win-back, birthday), run by the
outreach scheduler's tick. See README "Journeys".

Kept import-free: `bot.models` re-exports `bot.journeys.models` so Tortoise registers the
tables in the `bot` app.
"""
