"""Data rights over the loyalty tables: export everything held about a person, erase it.

The conversation side (contacts, webhook and outbox rows) is `bot.personal_data`, which calls
these and adds its own tables; `miniapp_api.views.privacy` puts both behind HTTP.
"""
