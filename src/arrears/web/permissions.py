"""What each role may do, as data: the one table every page, API route and test reads.

A permission is a verb on a kind of thing (``cases:work``). A person holds the
permissions of their role; an API token holds the permissions it was issued with
(its scopes). Which cases a permission reaches is decided separately, by
:mod:`arrears.web.scoping`: a collector who may ``cases:work`` works only the cases
assigned to them.
"""

from __future__ import annotations

from types import MappingProxyType

from arrears.org.enums import Role

PERMISSIONS: MappingProxyType[str, str] = MappingProxyType(
    {
        "compliance:check": "ask the contact guard whether a contact may happen",
        "lint": "check a text with the content linter",
        "scripts:classify": "classify what a debtor said",
        "scripts:suggest": "suggest the next script line on a case",
        "cases:read": "see cases in scope: borrower (masked), loans, timeline, strategy",
        "cases:work": "record contacts, outcomes and promises on cases in scope",
        "pii:reveal": "reveal one masked personal field, audited",
        "queue:read": "see work queues in scope",
        "team:manage": "reassign cases and change collectors' daily caps in scope",
        "audit:read": "search the audit log and verify its chain",
        "holds:manage": "place and lift holds",
        "complaints:manage": "register and resolve complaints",
        "contacts:review": "review contacts and notes flagged by the linter",
        "scripts:approve": "review and approve scripts and templates",
        "users:manage": "create users, reset passwords, unlock accounts",
        "analytics:read": "read the measures in scope: a collector their own productivity, a team lead their team",
        "analytics:targets": "set the tenant's recovery targets (a new version, audited)",
        "plans:propose": "quote repayment plans, propose them and upload hardship evidence on cases in scope",
        "plans:approve": "approve or reject proposed plans within the authority matrix; never one's own",
        "evidence:verify": "verify or reject hardship evidence; never one's own upload",
        "legal:read": "see legal referrals, proceedings, their deadlines and outcomes on cases in scope",
        "legal:manage": "refer cases to legal, complete the checklist, run proceedings, record fees and recoveries, "
        "export the document pack",
        "agency:place": "place cases with outside agencies and recall them",
        "templates:manage": "draft letter and message templates (approval needs scripts:approve)",
        "messages:send": "queue letters and messages to debtors in scope, report deliveries and inbound opt-outs",
        "letters:render": "render the day's letter batch and preview letters as PDF or HTML",
    }
)

_WORK = frozenset({"cases:read", "cases:work", "queue:read", "lint", "scripts:classify", "scripts:suggest"})
_CHECK = frozenset({"compliance:check"})

ROLE_PERMISSIONS: MappingProxyType[Role, frozenset[str]] = MappingProxyType(
    {
        Role.COLLECTOR: _WORK | _CHECK | {"analytics:read", "pii:reveal", "plans:propose"},
        Role.TEAM_LEAD: _WORK
        | _CHECK
        | {"team:manage", "pii:reveal", "complaints:manage", "analytics:read", "legal:read"}
        | {"plans:propose", "plans:approve", "evidence:verify"},
        Role.APPROVER: frozenset(
            {"cases:read", "queue:read", "lint", "legal:read", "legal:manage", "plans:approve", "evidence:verify"}
        ),
        Role.COMPLIANCE: frozenset(
            {
                "cases:read",
                "queue:read",
                "lint",
                "compliance:check",
                "pii:reveal",
                "audit:read",
                "holds:manage",
                "complaints:manage",
                "contacts:review",
                "scripts:approve",
                "analytics:read",
                "legal:read",
                "templates:manage",
                "letters:render",
            }
        ),
        Role.OPERATIONS: frozenset(
            {
                "cases:read",
                "queue:read",
                "team:manage",
                "lint",
                "compliance:check",
                "analytics:read",
                "analytics:targets",
                "legal:read",
                "legal:manage",
                "agency:place",
                "templates:manage",
                "messages:send",
                "letters:render",
            }
        ),
        Role.ADMIN: frozenset({"users:manage", "audit:read", "queue:read", "lint", "analytics:read"}),
    }
)


def for_role(role: Role) -> frozenset[str]:
    """The permissions a person of ``role`` holds."""
    return ROLE_PERMISSIONS[role]
