"""Database models, one module per aggregate."""

from webapp.models.audit import AdminAudit
from webapp.models.base import utcnow
from webapp.models.device import TrustedDevice
from webapp.models.lockout import LoginLockout
from webapp.models.login_attempt import (
    LoginAttempt,
    LoginCountryStat,
    LoginDeviceStat,
    LoginFailureStat,
    LoginStat,
    ReplayedAttempt,
)
from webapp.models.mfa import RecoveryCode, TrustedBrowser
from webapp.models.outbox import OutboxMail
from webapp.models.passkey import Passkey
from webapp.models.registration_source import RegistrationSource
from webapp.models.security_event import SecurityEvent
from webapp.models.session import UserSession
from webapp.models.signals import IpBlock, KnownSignIn
from webapp.models.tokens import OneTimeToken
from webapp.models.user import User

__all__ = [
    "AdminAudit",
    "IpBlock",
    "KnownSignIn",
    "LoginAttempt",
    "LoginCountryStat",
    "LoginDeviceStat",
    "LoginFailureStat",
    "LoginLockout",
    "LoginStat",
    "OneTimeToken",
    "OutboxMail",
    "Passkey",
    "RecoveryCode",
    "ReplayedAttempt",
    "RegistrationSource",
    "SecurityEvent",
    "TrustedBrowser",
    "TrustedDevice",
    "User",
    "UserSession",
    "utcnow",
]
