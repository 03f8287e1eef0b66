"""The web console at `/admin`: the staff till, members, content editor, dashboard.

A client of the same services as the admin API (`miniapp_api`): role checks through
`miniapp_api.auth.Actor`, writes recorded with `miniapp_api.audit.record`.
"""

from bot.console.routes import setup_console

__all__ = ["setup_console"]
