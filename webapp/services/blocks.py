"""Blocked addresses: an admin refuses an IP or CIDR on every sign-in endpoint for some hours."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from sqlalchemy import bindparam, select

from webapp.extensions import db
from webapp.models import IpBlock, User, utcnow

MAX_HOURS = 24 * 365
BLOCKED = {"detail": "Access from this address is blocked."}


def live_blocks() -> list[IpBlock]:
    """Blocks that have not expired, newest first (a short table: expired rows are skipped by
    the index on expires_at)."""
    return list(
        db.session.execute(
            select(IpBlock).where(IpBlock.expires_at > utcnow()).order_by(IpBlock.id.desc())
        ).scalars()
    )


def is_blocked(ip: str) -> bool:
    """Whether a live block covers this address (a cheap read: no password is checked)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    # Every login request asks, refusals too: one column through Core, no ORM objects.
    cidrs = db.session.connection().execute(_LIVE_CIDRS, {"now": utcnow()}).scalars()
    for cidr in cidrs:
        network = ipaddress.ip_network(cidr, strict=False)
        if address.version == network.version and address in network:
            return True
    return False


_LIVE_CIDRS = select(IpBlock.__table__.c.cidr).where(
    IpBlock.__table__.c.expires_at > bindparam("now")
)


def block_errors(cidr, hours, reason) -> dict[str, list[str]]:
    """Field errors of a block request (API field names)."""
    errors: dict[str, list[str]] = {}
    try:
        if not isinstance(cidr, str) or not cidr.strip():
            raise ValueError
        ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        errors["cidr"] = ["Enter a valid IP address or CIDR network."]
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= MAX_HOURS:
        errors["hours"] = [f"Must be a whole number of hours from 1 to {MAX_HOURS}."]
    if reason is not None and (not isinstance(reason, str) or len(reason) > 255):
        errors["reason"] = ["Must be a string of at most 255 characters."]
    return errors


def add_block(cidr: str, hours: int, reason: str | None, by: User | None) -> IpBlock:
    """Block an address or network for some hours (validated with block_errors first)."""
    now = utcnow()
    block = IpBlock(
        cidr=str(ipaddress.ip_network(cidr.strip(), strict=False)),
        reason=(reason or "")[:255],
        created_by_id=by.id if by else None,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    db.session.add(block)
    db.session.flush()
    return block


def remove_block(block_id: int) -> bool:
    """Lift a block; False if there is none with that id."""
    block = db.session.get(IpBlock, block_id)
    if block is None:
        return False
    db.session.delete(block)
    return True
