"""The people behind the loans: borrowers, their contact points and third parties; file import."""

from arrears.portfolio.enums import Channel, ContactLabel, ContactStatus, Education, Gender, MaritalStatus, Relation
from arrears.portfolio.importing import ImportResult, Kind, import_file

__all__ = [
    "Channel",
    "ContactLabel",
    "ContactStatus",
    "Education",
    "Gender",
    "ImportResult",
    "Kind",
    "MaritalStatus",
    "Relation",
    "import_file",
]
