"""The script library (话术库): versioned, linted, approved scripts per scenario, in zh-CN, zh-TW and en.

See docs/scripts.md.
"""

from arrears.scripts.library.bundled import load_shipped, seed
from arrears.scripts.library.context import ScriptSettings, context_for_case
from arrears.scripts.library.enums import CallStep, Locale, Objection, Persona, ScriptParty, ScriptStatus
from arrears.scripts.library.exchange import export_yaml, import_yaml
from arrears.scripts.library.flows import ScriptIn, approve, save_draft
from arrears.scripts.library.keys import ScenarioKey, make_key, parse_key
from arrears.scripts.library.service import get_published
from arrears.scripts.library.templates import ScriptContext, render

__all__ = [
    "CallStep",
    "Locale",
    "Objection",
    "Persona",
    "ScenarioKey",
    "ScriptContext",
    "ScriptIn",
    "ScriptParty",
    "ScriptSettings",
    "ScriptStatus",
    "approve",
    "context_for_case",
    "export_yaml",
    "get_published",
    "import_yaml",
    "load_shipped",
    "make_key",
    "parse_key",
    "render",
    "save_draft",
    "seed",
]
