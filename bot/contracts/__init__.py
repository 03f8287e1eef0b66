"""What the layers hand each other, and nothing else.

Channels (`bot/channels/`) and the pipeline (`bot/pipeline/`) never import each other: both
import these small modules. A channel cuts webhooks into `InboxItem`s and gives them to an
`Ingest`; the pipeline hands a stored item back to the channel (`Channel.to_events`), stores
the `OutboundRequest`s the channel renders, and asks the channel to deliver them, which
answers with a delivery error when it could not.
"""
