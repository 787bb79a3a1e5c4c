"""The audit log: every state change leaves a record of who, what, when and from where."""
