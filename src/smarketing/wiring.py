"""The app's assembly of what domains register at import: every producer of quarantined
items, so each kind of item has its replayer (smarketing.quarantine.service).

Imported by the two tops of the app, the web app (smarketing.web.app) and the command
line (smarketing.cli); no domain imports it.
"""

from smarketing.activities import service as activities
from smarketing.campaigns import service as campaigns_service
from smarketing.contacts import companies_api
from smarketing.contacts import service as contacts_service
from smarketing.deals import service as deals_service
from smarketing.hooks import service as hooks_service
from smarketing.tracking import service as tracking_service

#: The modules whose import registers a replayer, named so the imports above are used.
REPLAYER_MODULES = (activities, contacts_service, tracking_service, hooks_service,
                    campaigns_service, deals_service, companies_api)
