"""Every SQLAlchemy model, importable from one place (Alembic reads `Base.metadata`)."""

from smarketing.models.base import Base
from smarketing.models.crm import Activity, Attempt, Company, Contact, Deal, Decision
from smarketing.models.history import LifecycleChange, OwnerChange
from smarketing.models.ingest import (
    ApiKey,
    MergedContact,
    QuarantineItem,
    Visitor,
    VisitorEvent,
    WebhookRequest,
    WebhookSource,
    WorkspaceSetting,
)
from smarketing.models.marketing import Campaign, CostEntry
from smarketing.models.privacy import PrivacyRequest, SuppressedAddress
from smarketing.models.security import UserSession
from smarketing.models.sla import (
    Notification,
    NotificationDelivery,
    NotificationTarget,
    SlaAgreement,
    SlaClock,
)
from smarketing.models.workspace import Calendar, Persona, ProductLine, Team, User, Workspace

__all__ = [
    "Activity",
    "ApiKey",
    "MergedContact",
    "QuarantineItem",
    "Visitor",
    "VisitorEvent",
    "WebhookRequest",
    "WebhookSource",
    "WorkspaceSetting",
    "Attempt",
    "Base",
    "Calendar",
    "Campaign",
    "Company",
    "Contact",
    "CostEntry",
    "Deal",
    "Decision",
    "LifecycleChange",
    "OwnerChange",
    "Persona",
    "PrivacyRequest",
    "SuppressedAddress",
    "UserSession",
    "ProductLine",
    "Notification",
    "NotificationDelivery",
    "NotificationTarget",
    "SlaAgreement",
    "SlaClock",
    "Team",
    "User",
    "Workspace",
]
