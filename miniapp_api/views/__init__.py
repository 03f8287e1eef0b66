"""The API's view modules; importing this package registers every route, in this order."""

from miniapp_api.views import member, games, admin, points, privacy, audit  # noqa: I001 - the order is the docs' order

__all__ = ["admin", "audit", "games", "member", "points", "privacy"]
