"""Where a campaign's public page lives (linked from the Mini App's game screens)."""

from __future__ import annotations


def campaign_page_url(base_url: str, game_id: str) -> str:
    return f"{base_url.rstrip('/')}/promotions/{game_id}"
