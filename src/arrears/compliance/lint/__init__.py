"""The content linter (话术合规检查): what a collector or template may not say or send.

``lint(text)`` returns findings with offsets into the original text; callers that
save scripts, templates or contact notes refuse to save when ``has_errors``.
See docs/linter.md.
"""

from arrears.compliance.lint.context import LintContext
from arrears.compliance.lint.linter import Finding, has_errors, lint
from arrears.compliance.lint.rules import RULES, Rule

__all__ = ["RULES", "Finding", "LintContext", "Rule", "has_errors", "lint"]
