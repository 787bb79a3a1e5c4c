"""The audit log: every state change leaves a record of who, what, when and from where."""

from arrears.audit.service import cli_actor, record, record_many

__all__ = ["cli_actor", "record", "record_many"]
