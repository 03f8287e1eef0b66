"""Importing the shop's history: members and orders from CSV or XLSX exports.

- `read`: rows of a CSV (any UTF-8, `,` or `;`) or XLSX file, streamed, with header aliases,
- `values`: phones, dates, amounts and statuses as Vietnamese exports write them,
- `problems`: one `FILE:ROW column: what is wrong — how to fix` line per bad value,
- `members`, `orders`: validation and the bulk, idempotent writes,
- `staging`: batches into a temporary table (COPY on PostgreSQL).
"""
