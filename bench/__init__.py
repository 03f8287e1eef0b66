"""`make bench`: the project against the cheapest honest baseline on the same machine.

Absolute numbers drift on shared machines, so every figure that has a target is a ratio to
a baseline measured in the same run, or a bound the project must stay under. See README.md.
"""
