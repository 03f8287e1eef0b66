"""Outreach: messages the customer did not ask for, within each platform's rules.

- `policy`: which channel may carry a message to a member now, and how, or why none may;
- `audience`: the built-in segments;
- `broadcasts`: a message to a segment, exactly once per recipient, paced to the platform;
- `scheduler`: the periodic loop that releases scheduled and held broadcasts.
"""
