"""Collection scripts and conversation intelligence (话术与对话理解).

The intent classifier lives in :mod:`arrears.scripts.intents`.
"""

__all__: list[str] = []
