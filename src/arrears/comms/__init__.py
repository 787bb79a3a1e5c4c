"""Letters and messages (函件与短信) through real channels, every send through the compliance guard.

Templates (versioned, linted, maker-checker approved), PDF letters and the day's
letter batch, the outbox with its delivery states and retries, and opt-outs.
See docs/comms.md.
"""

from arrears.comms.batch import LetterBatch, issue_lawyer_letter, render_day
from arrears.comms.channels.base import Channel, Outgoing, PermanentFailure, Receipt, TemporaryFailure
from arrears.comms.config import CommsSettings
from arrears.comms.enums import MessageChannel, MessageStatus, TemplateKind
from arrears.comms.flows import TemplateIn, TextIn, approve, engage_law_firm, save_draft, seed_shipped
from arrears.comms.optout import handle_inbound_sms, is_opt_out, unsubscribe
from arrears.comms.outbox import MessageRequest, queue_message, queue_reminders, record_delivery_report, send_due

__all__ = [
    "Channel",
    "CommsSettings",
    "LetterBatch",
    "MessageChannel",
    "MessageRequest",
    "MessageStatus",
    "Outgoing",
    "PermanentFailure",
    "Receipt",
    "TemplateIn",
    "TemplateKind",
    "TemporaryFailure",
    "TextIn",
    "approve",
    "engage_law_firm",
    "handle_inbound_sms",
    "is_opt_out",
    "issue_lawyer_letter",
    "queue_message",
    "queue_reminders",
    "record_delivery_report",
    "render_day",
    "save_draft",
    "seed_shipped",
    "send_due",
    "unsubscribe",
]
