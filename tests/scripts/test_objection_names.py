"""Every intent the classifier can hear, but 'other', has objection scripts under the same name."""

from __future__ import annotations

from arrears.scripts.intents import Intent
from arrears.scripts.library.enums import Objection


def test_objections_and_intents_share_their_names() -> None:
    assert {objection.value for objection in Objection} == {intent.value for intent in Intent} - {"other"}
