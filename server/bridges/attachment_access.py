"""Who may see an attachment: whoever may see what it is attached to.

The attachments layer stores files without knowing what they belong to; each capability
knows who may see its own records. This bridge names, per ``owner_kind``, the capability's
rule: an activity record's photos are seen by the member, whoever recorded it, the overseers
of its unit and the units above (``server.activities.records.may_see``); a themed-campaign
report's documents by the reporting unit and the organisation it reports to
(``server.activities.themed.may_see_report``). Anyone else gets 404, as for no attachment.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.activities import records, themed
from server.attachments import service
from server.attachments.models import Attachment
from server.org.models import Person

RULES: dict[str, service.AccessRule] = {
    records.OWNER_KIND: records.may_see_id,
    themed.OWNER_KIND: themed.may_see_report_id,
}


def open_attachment(session: Session, person: Person, key: str) -> Attachment:
    return service.open_for(session, person, key, RULES)
