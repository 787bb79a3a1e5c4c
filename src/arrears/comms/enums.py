"""The words of letters and messages (函件与短信): template kinds, channels, delivery states."""

from __future__ import annotations

from enum import StrEnum

from arrears.contact.enums import ContactChannel


class TemplateKind(StrEnum):
    """What a letter or message is for."""

    PAYMENT_REMINDER = "payment_reminder"  # 还款提醒
    COLLECTION_LETTER = "collection_letter"  # 催收函
    PLAN_CONFIRMATION = "plan_confirmation"  # 还款安排确认
    PLAN_BROKEN = "plan_broken"  # 违约（未按约还款）通知
    VALIDATION_NOTICE = "validation_notice"  # US Regulation F validation notice
    LAWYER_LETTER = "lawyer_letter"  # 律师函: only from an engaged law firm


class MessageChannel(StrEnum):
    """How a message leaves: a text, an email or a printed letter."""

    SMS = "sms"
    EMAIL = "email"
    LETTER = "letter"

    @property
    def contact_channel(self) -> ContactChannel:
        """The channel the compliance guard judges the send on."""
        return ContactChannel(self.value)

    @property
    def electronic(self) -> bool:
        return self is not MessageChannel.LETTER


class MessageStatus(StrEnum):
    """Delivery state of one message (发送状态)."""

    QUEUED = "queued"  # waiting for its next attempt (``next_attempt_at``)
    SENT = "sent"  # the provider accepted it
    DELIVERED = "delivered"  # the provider reported delivery
    FAILED = "failed"  # permanently: rejected, linted out, or out of attempts
    CANCELLED = "cancelled"  # the guard will never allow it (hold, opt-out)


OPEN_STATUSES = frozenset({MessageStatus.QUEUED})
"""Messages the sender still works on."""

LETTER_KINDS = frozenset(
    {
        TemplateKind.COLLECTION_LETTER,
        TemplateKind.VALIDATION_NOTICE,
        TemplateKind.LAWYER_LETTER,
        TemplateKind.PLAN_CONFIRMATION,
        TemplateKind.PLAN_BROKEN,
    }
)
"""Kinds that may be written for the letter channel."""

PACK_ONLY: dict[TemplateKind, str] = {TemplateKind.VALIDATION_NOTICE: "us"}
"""Kinds used only by tenants of one compliance pack."""
