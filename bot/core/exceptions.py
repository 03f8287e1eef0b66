"""Errors raised by the routing core; all derive from :class:`CoreError`."""

from __future__ import annotations


class CoreError(Exception):
    """Base of every error raised by `bot.core` itself (not by handlers)."""


class HandlerSignatureError(CoreError, TypeError):
    """A handler, filter or hook asks for something the dispatcher cannot inject.

    Raised by `Dispatcher.validate()` (at startup) so a misspelled parameter stops the process
    before the first event instead of failing one user's conversation at run time.
    """


class MissingInjectable(CoreError, LookupError):
    """A declared name was not in the event data when a handler needed it."""


class RouterInclusionError(CoreError, ValueError):
    """A router was included twice, into itself, into its own descendant, or was a root."""


class CallbackDataError(CoreError, ValueError):
    """A callback-data payload cannot be packed or does not parse."""


class SkipHandler(Exception):
    """Raise in a handler or inner middleware to let the next matching handler try."""
