"""The public campaign page `/promotions/{game_id}`: a chance promotion's rules, live prizes
left and the masked winner list (no sign-in). `setup_promotions_page(app)` adds its routes."""

from bot.promotions_page.routes import setup_promotions_page

__all__ = ["setup_promotions_page"]
