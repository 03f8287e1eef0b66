"""The sandbox: try the whole bot in a browser as a Zalo or Messenger user, no account needed.

The browser never holds a secret. It posts what the tester did (follow, text, a tap, a shared
phone) to `/sandbox/api/events`; the server builds the platform's own webhook body, signs it
with the channel's key and posts it to the app's real webhook route over loopback, so the
sandbox runs exactly the production path. Replies are read back from `outbox_message` (where
a channel without credentials keeps them) and pushed to the page over server-sent events.

Entry point: :func:`bot.sandbox.routes.setup_sandbox`, called by `bot.app.build_app`.
"""
