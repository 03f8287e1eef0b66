"""Segments: RFM scores, AIPL stages and named groups of members, computed set-based in SQL.

- `rules`: what an admin may write under `segments:` and `rfm:` in the content file,
- `builtin`: the built-in segment ids and the RFM score table,
- `sql`: the statements (PostgreSQL and SQLite give the same results),
- `refresh`: recompute everything (`refresh_all`) or one member after an order
  (`refresh_member`),
- `read`: the segment list, member pages, a member's RFM row and tags.
"""
