"""`serve`'s side of the inbox: verified webhook items in, durable rows out.

`ingest.InboxIngest` is what the webhooks hold (the `bot.contracts.inbox.Ingest` contract):
it cleans each item (`clean`), lets concurrent requests share one INSERT (`group_commit`)
through the mode's writer (`postgres` or `sqlite`, with the SQLite writer process in
`sqlite_writer` + `sqlite_writer_proc`), answers once the rows are committed, and hands the
new rows on (`bot.pipeline.modes` decides how). The statement itself is in `sql`.
"""
