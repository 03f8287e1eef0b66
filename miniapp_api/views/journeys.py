"""`GET /api/v1/admin/journeys/{id}`: a journey's numbers (contract "Second slice").

The journey is the content file's (as it is now: steps in its current order); the numbers
are computed from the enrolment and step-run rows by `bot.journeys.metrics`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.journeys.metrics import report
from bot.journeys.spec import compile_plan
from bot.web.problems import ApiError
from miniapp_api.calls import Call
from miniapp_api.registry import Reply, api
from miniapp_api.views.admin import ADMIN_ERRORS


class JourneyPath(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")


class HoldoutOut(BaseModel):
    members: int = Field(description="members in the control group (they get nothing)")
    converted: int
    revenue: int


class JourneyStepOut(BaseModel):
    index: int
    id: str
    kind: str
    reached: int = Field(description="members who ran this step")
    sent: int
    skipped: int
    skipped_by_reason: dict[str, int]


class JourneyOut(BaseModel):
    id: str
    name: str
    enrolled: int = Field(description="entries that get the steps (the control group apart)")
    active: int
    completed: int
    exited: int
    converted: int = Field(description="entries with a paid order within conversion_days")
    revenue: int = Field(description="VND of those orders")
    holdout: HoldoutOut
    steps: list[JourneyStepOut]


@api.route(
    "GET",
    "/v1/admin/journeys/{id}",
    summary="A journey's entries, conversions, revenue, control group and per-step counts",
    tag="admin",
    auth="admin",
    params=JourneyPath,
    responses={200: JourneyOut},
    errors={**ADMIN_ERRORS, 404: ("journey_not_found",)},
)
async def get_journey(call: Call) -> Reply:
    """Uplift = converted / enrolled − holdout.converted / holdout.members."""
    journey_id: str = call.params.id
    journey = next((j for j in call.content.journeys if j.id == journey_id), None)
    if journey is None:
        raise ApiError(404, "journey_not_found", f"no journey {journey_id!r} in the content file")
    return Reply(JourneyOut(**await report(compile_plan(journey))))
