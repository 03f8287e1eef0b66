"""The API's view modules; importing this package registers every route, in this order."""

# isort: off - the order is the docs' order
from miniapp_api.views import member, games, admin, segments, privacy, audit  # noqa: I001
from miniapp_api.views import broadcasts, promotions, reports
# isort: on

__all__ = [
    "admin",
    "audit",
    "broadcasts",
    "games",
    "member",
    "privacy",
    "promotions",
    "reports",
    "segments",
]
