"""Messenger utility messages: an approved template, the one way an account update reaches a
person after the 24-hour window (message tags are not used, reference outreach.md §3).

Wire format (Meta's "Send a utility message", updated 2026-03-13; not in the shared
reference, so marked unsure where we had to guess):

    POST /{PAGE_ID}/messages   (or /me/messages)
    {"recipient": {"id": PSID}, "messaging_type": "UTILITY",
     "message": {"template": {"name": NAME, "language": {"code": "vi"},
                              "components": [{"type": "body", "parameters": [...]}]}}}

Each body parameter is `{"type": "text", "text": VALUE}`; templates created with
`parameter_format: NAMED` also need `"parameter_name"` on each one.
UNSURE: whether `message.metadata` may ride along (not sent: our echo matching is not used
for templates), the exact error a missing or paused template answers (treated as a refusal,
never retried), and whether the language code must match the template's exactly (sent as
configured).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

UTILITY = "UTILITY"


def utility_payload(
    psid: str, name: str, language: str, params: Sequence[str] | Mapping[str, str]
) -> dict[str, Any]:
    """The Send API body of one utility template message (values already filled in)."""
    if isinstance(params, Mapping):
        parameters = [
            {"type": "text", "parameter_name": key, "text": value} for key, value in params.items()
        ]
    else:
        parameters = [{"type": "text", "text": value} for value in params]
    template: dict[str, Any] = {"name": name, "language": {"code": language}}
    template["components"] = [{"type": "body", "parameters": parameters}] if parameters else []
    return {
        "recipient": {"id": psid},
        "messaging_type": UTILITY,
        "message": {"template": template},
    }


def is_utility(payload: Mapping[str, Any]) -> bool:
    return payload.get("messaging_type") == UTILITY
