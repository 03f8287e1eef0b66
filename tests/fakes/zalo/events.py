"""Webhook event builders: one method per event name of reference §1.4 / §8.3.

Every id and timestamp is a string. Building a user-originated event also updates the
fake's state the way Zalo would (interaction time, follower flag, inbound msg_id), so a
later `/cs` reply to that user or that `message_id` behaves realistically. Unknown users are
added on the fly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tests.fakes.zalo.state import FakeUser, SentMessage, ZnsMessage, new_msg_id

if TYPE_CHECKING:
    from tests.fakes.zalo.core import FakeZalo

Event = dict[str, Any]


class Events:
    def __init__(self, fake: FakeZalo) -> None:
        self.fake = fake

    # --- helpers --------------------------------------------------------------------------
    def _user(self, user_id: str) -> FakeUser:
        return self.fake.users.get(user_id) or self.fake.add_user(user_id, f"User {user_id}")

    def _base(self, event_name: str, user: FakeUser | None) -> Event:
        event: Event = {"app_id": self.fake.app_id}
        if user is not None:
            event["user_id_by_app"] = user.user_id_by_app
        event["event_name"] = event_name
        event["timestamp"] = str(self.fake.now_ms())
        return event

    def _from_user(
        self, event_name: str, user_id: str, message: Event | None, *, interaction: bool = True
    ) -> Event:
        """sender = user, recipient = OA; by default counts as an interaction (opens the CS
        window)."""
        user = self._user(user_id)
        if interaction:
            self.fake.touch(user_id)
        event = self._base(event_name, user)
        event["sender"] = {"id": user_id}
        event["recipient"] = {"id": self.fake.oa_id}
        if message is not None:  # callers put msg_id first, as Zalo does
            self.fake.user_messages[message["msg_id"]] = user_id
            event["message"] = message
        return event

    def _from_oa(self, event_name: str, user_id: str, message: Event, **sender: str) -> Event:
        """sender = OA, recipient = user (echoes, receipts, seen)."""
        event = self._base(event_name, self._user(user_id))
        event["sender"] = {"id": self.fake.oa_id, **sender}
        event["recipient"] = {"id": user_id}
        event["message"] = message
        return event

    def _attachment(
        self, event_name: str, user_id: str, kind: str, payload: Event, text: str | None, **kw: Any
    ) -> Event:
        message: Event = {"msg_id": kw.get("msg_id") or new_msg_id()}
        if text is not None:
            message["text"] = text
        message["attachments"] = [{"type": kind, "payload": payload}]
        return self._from_user(event_name, user_id, message)

    # --- follow -------------------------------------------------------------------------------
    def follow(self, user_id: str, source: str = "oa_profile") -> Event:
        user = self._user(user_id)
        user.is_follower = True
        self.fake.touch(user_id)
        return self._follow_event("follow", user, source)

    def unfollow(self, user_id: str, source: str = "oa_profile") -> Event:
        user = self._user(user_id)
        user.is_follower = False
        return self._follow_event("unfollow", user, source)

    def _follow_event(self, name: str, user: FakeUser, source: str) -> Event:
        event = self._base(name, user)
        event.update(oa_id=self.fake.oa_id, source=source, follower={"id": user.user_id})
        return event

    # --- user_send_* --------------------------------------------------------------------------
    def user_send_text(
        self,
        user_id: str,
        text: str,
        *,
        msg_id: str | None = None,
        quote_msg_id: str | None = None,
    ) -> Event:
        message: Event = {"msg_id": msg_id or new_msg_id(), "text": text}
        if quote_msg_id is not None:
            message["quote_msg_id"] = quote_msg_id
        return self._from_user("user_send_text", user_id, message)

    def user_send_image(
        self,
        user_id: str,
        url: str = "https://photo-stal.zadn.vn/u/a.jpg",
        *,
        text: str | None = None,
        msg_id: str | None = None,
    ) -> Event:
        payload = {"url": url, "thumbnail": url}
        return self._attachment("user_send_image", user_id, "image", payload, text, msg_id=msg_id)

    def user_send_gif(
        self,
        user_id: str,
        url: str = "https://photo-stal.zadn.vn/u/a.gif",
        *,
        msg_id: str | None = None,
    ) -> Event:
        payload = {"url": url, "thumbnail": url}
        return self._attachment("user_send_gif", user_id, "gif", payload, None, msg_id=msg_id)

    def user_send_sticker(
        self,
        user_id: str,
        sticker_id: str = "bfe458bf64fa8da4d4eb",
        *,
        url: str = "https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid=1",
        msg_id: str | None = None,
    ) -> Event:
        payload = {"id": sticker_id, "url": url}
        return self._attachment(
            "user_send_sticker", user_id, "sticker", payload, None, msg_id=msg_id
        )

    def user_send_audio(
        self,
        user_id: str,
        url: str = "https://voice-aac.zadn.vn/a.aac",
        *,
        msg_id: str | None = None,
    ) -> Event:
        return self._attachment(
            "user_send_audio", user_id, "audio", {"url": url}, None, msg_id=msg_id
        )

    def user_send_video(
        self,
        user_id: str,
        url: str = "https://video.zadn.vn/a.mp4",
        *,
        thumbnail: str = "https://video.zadn.vn/a.jpg",
        msg_id: str | None = None,
    ) -> Event:
        payload = {"url": url, "thumbnail": thumbnail}
        return self._attachment("user_send_video", user_id, "video", payload, None, msg_id=msg_id)

    def user_send_file(
        self,
        user_id: str,
        url: str = "https://f.zadn.vn/a.pdf",
        *,
        name: str = "a.pdf",
        size: str = "1024",
        type: str = "pdf",
        msg_id: str | None = None,
    ) -> Event:
        payload = {"url": url, "name": name, "size": size, "type": type}
        return self._attachment("user_send_file", user_id, "file", payload, None, msg_id=msg_id)

    def user_send_link(
        self,
        user_id: str,
        url: str,
        *,
        text: str = "",
        description: str = "",
        msg_id: str | None = None,
    ) -> Event:
        payload = {"url": url, "description": description, "thumbnail": ""}
        return self._attachment("user_send_link", user_id, "link", payload, text, msg_id=msg_id)

    def user_send_location(
        self, user_id: str, latitude: float, longitude: float, *, msg_id: str | None = None
    ) -> Event:
        # Coordinates as strings, like the ids: the safer reading for parsers.
        coords = {"latitude": str(latitude), "longitude": str(longitude)}
        payload = {"coordinates": coords}
        return self._attachment(
            "user_send_location", user_id, "location", payload, None, msg_id=msg_id
        )

    # --- other user actions -----------------------------------------------------------------
    def user_submit_info(
        self,
        user_id: str,
        *,
        name: str,
        phone: str,
        address: str = "",
        city: str = "",
        district: str = "",
        ward: str = "",
        user_dob: str = "",
        gender: str = "",
        legacy: bool = False,
    ) -> Event:
        """The answer to request_user_info. `legacy` gives the older flat address shape."""
        info: Event = {"name": name, "phone": phone}
        if legacy:
            info.update(address=address, city=city, district=district, ward=ward)
        else:
            info.update(
                user_dob=user_dob,
                gender=gender,
                full_address={"user_city": city, "user_ward": ward, "user_address": address},
            )
        user = self._user(user_id)
        user.shared_info = {
            "name": name,
            "phone": phone,
            "address": address,
            "city": city,
            "district": district,
            "user_dob": user_dob,
        }
        event = self._from_user("user_submit_info", user_id, None)
        event["info"] = info
        return event

    def user_click_chatnow(self, user_id: str) -> Event:
        """Payload is [?] in the reference: the bare envelope."""
        return self._from_user("user_click_chatnow", user_id, None)

    def user_reacted_message(
        self, user_id: str, msg_id: str, react_icon: str = "/-heart"
    ) -> Event:
        # Reactions are not in the documented list of interactions: they leave the window be.
        event = self._from_user("user_reacted_message", user_id, None, interaction=False)
        event["message"] = {"msg_id": msg_id, "react_icon": react_icon}
        return event

    # --- OA side: receipts, seen, echoes ----------------------------------------------------
    def user_received_message(self, user_id: str, msg_id: str) -> Event:
        return self._from_oa("user_received_message", user_id, {"msg_id": msg_id})

    def user_seen_message(self, user_id: str, msg_ids: Sequence[str]) -> Event:
        return self._from_oa("user_seen_message", user_id, {"msg_ids": list(msg_ids)})

    def oa_reacted_message(self, user_id: str, msg_id: str, react_icon: str = "/-heart") -> Event:
        message = {"msg_id": msg_id, "react_icon": react_icon}
        return self._from_oa("oa_reacted_message", user_id, message)

    def oa_send_text(
        self, user_id: str, text: str, *, msg_id: str | None = None, admin_id: str | None = None
    ) -> Event:
        """An echo; with `admin_id` it is a staff member typing in the OA inbox."""
        sender = {"admin_id": admin_id} if admin_id else {}
        message = {"msg_id": msg_id or new_msg_id(), "text": text}
        return self._from_oa("oa_send_text", user_id, message, **sender)

    def echo_of(self, item: SentMessage) -> Event:
        """The oa_send_* echo Zalo emits for a message the bot sent."""
        attachment = item.message.get("attachment")
        if attachment is None:
            return self.oa_send_text(item.user_id, item.message["text"], msg_id=item.message_id)
        payload = attachment.get("payload", {})
        if attachment.get("type") == "file":
            name = "oa_send_file"
        elif payload.get("template_type") == "media":
            name = "oa_send_" + payload["elements"][0]["media_type"]
        else:
            name = "oa_send_list"
        message: Event = {"msg_id": item.message_id, "attachments": [attachment]}
        if "text" in item.message:
            message["text"] = item.message["text"]
        return self._from_oa(name, item.user_id, message)

    # --- tags and ZNS -----------------------------------------------------------------------
    def add_user_to_tag(self, tag_name: str, user_ids: Sequence[str]) -> Event:
        return self._tag_event("add_user_to_tag", tag_name, user_ids)

    def remove_user_from_tag(self, tag_name: str, user_ids: Sequence[str]) -> Event:
        return self._tag_event("remove_user_from_tag", tag_name, user_ids)

    def remove_tag(self, tag_name: str) -> Event:
        return self._tag_event("remove_tag", tag_name, [])

    def _tag_event(self, name: str, tag_name: str, user_ids: Sequence[str]) -> Event:
        event = self._base(name, None)
        event.update(oa_id=self.fake.oa_id, tag={"user_ids": list(user_ids), "name": tag_name})
        return event

    def zns_receipt(self, item: ZnsMessage) -> Event:
        """ZNS delivery receipt: a user_received_message addressed to a phone number.
        Deliver it with extra_headers={"X-ZEvent-Server": "ZNS"} to mimic Zalo fully."""
        event = self._base("user_received_message", None)
        event["sender"] = {"id": self.fake.oa_id}
        event["recipient"] = {"id": item.phone}
        event["message"] = {
            "delivery_time": str(self.fake.now_ms()),
            "msg_id": item.msg_id,
            "tracking_id": item.tracking_id or "",
        }
        return event
