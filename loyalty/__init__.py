"""The loyalty engine: the only writer of points, vouchers and prize stock.

One job per module: `members` (+ `merge`, `phone`), `points` (ledger), `tiers`, `vouchers`
(+ `codes`), `orders` (POS), `plays` and `quiz` (the prize engine, settled by `settle` against
`stock`), `qr` (member QR tokens), `errors` (typed errors with stable codes). All functions are
async; every money move runs in one transaction with the member row locked (`txn`).
"""
