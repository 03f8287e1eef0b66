"""The API's view modules; importing this package registers every route, in this order."""

# isort: off - the order is the docs' order
from miniapp_api.views import member, games, admin, points, segments, privacy  # noqa: I001
from miniapp_api.views import audit, broadcasts, promotions, reports
from miniapp_api.views import journeys
# isort: on

__all__ = [
    "admin",
    "audit",
    "broadcasts",
    "games",
    "journeys",
    "member",
    "points",
    "privacy",
    "promotions",
    "reports",
    "segments",
]
