"""Facebook Messenger (Page) channel: Graph client, webhook, parser, renderer, window rules.

Layout: `methods/` typed Graph calls, `session.py`/`client.py` transport, `errors.py` Graph
error classes, `webhook.py` + `signature.py` inbound HTTP, `types.py` + `parser.py` webhook
items → neutral events, `receipts.py` delivery state, `renderer.py` + `limits.py` neutral
messages → Send API bodies, `window.py` the 24-hour rule, `profiles.py` cached names,
`profile_sync.py` the `sync-profile` command, `channel.py` the pipeline adapter.
"""
