"""Base model for every Zalo wire object."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# Zalo ids and timestamps are strings on the wire and exceed 2^53: they stay strings. A
# number that slips through is turned into its exact decimal text, never a float.
Id = Annotated[str, Field(max_length=64)]


class ZaloObject(BaseModel):
    """Lenient on input (unknown keys ignored, numbers accepted as id strings), immutable."""

    model_config = ConfigDict(
        extra="ignore", frozen=True, coerce_numbers_to_str=True, populate_by_name=True
    )
