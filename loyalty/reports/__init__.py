"""Reports for the shop owner: set-based SQL, the same numbers on SQLite and PostgreSQL.

`cohorts`: members by first-order or joining month, and what they did month by month after;
`games`: what a game campaign gave and what its players bought afterwards.
"""
