"""Imports every model module so that ``Base.metadata`` knows all tables (Alembic, tests)."""

from arrears.analytics import models as analytics_models
from arrears.audit import models as audit_models
from arrears.cases import models as cases_models
from arrears.comms import models as comms_models
from arrears.compliance import models as compliance_models
from arrears.contact import models as contact_models
from arrears.db.base import Base
from arrears.delinquency import models as delinquency_models
from arrears.ledger import models as ledger_models
from arrears.legal import models as legal_models
from arrears.org import models as org_models
from arrears.portfolio import models as portfolio_models
from arrears.scripts.library import models as scripts_models
from arrears.settlement import models as settlement_models
from arrears.strategy import models as strategy_models
from arrears.web import models as web_models

MODEL_MODULES = (
    analytics_models,
    audit_models,
    cases_models,
    comms_models,
    compliance_models,
    contact_models,
    delinquency_models,
    ledger_models,
    legal_models,
    org_models,
    portfolio_models,
    scripts_models,
    settlement_models,
    strategy_models,
    web_models,
)

metadata = Base.metadata

__all__ = ["MODEL_MODULES", "metadata"]
