"""The demo city's people: six verified accounts, one per role, all with ``demo-password``.

Seeded only when the service runs with ``DEMO_MODE`` on. Each account is created if missing
and otherwise left alone, in its own transaction, so two instances starting together (one
loses the race on the unique email) and repeated runs are both harmless.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy.exc import IntegrityError

from ..domain.model import Account

DEMO_PASSWORD = "demo-password"

DEMO_ACCOUNTS = (
    # email, display name, roles, body
    ("resident@demo.hromada", "Олена Коваль", ("resident",), None),
    ("resident2@demo.hromada", "Андрій Шевченко", ("resident",), None),
    ("executor@demo.hromada", "Тарас Бондар (Київавтодор)", ("executor",), "kyivavtodor"),
    ("dispatcher@demo.hromada", "Ірина Мельник (диспетчер 1551)", ("dispatcher",), None),
    ("head@demo.hromada", "Микола Ткаченко (керівник Київавтодору)", ("head",), "kyivavtodor"),
    ("admin@demo.hromada", "Адміністратор платформи", ("admin",), None),
)


def seed_demo_accounts(uow, hasher) -> list[str]:
    """Create the demo accounts that are missing; returns the emails created."""
    created = []
    for email, name, roles, body in DEMO_ACCOUNTS:
        with uow:
            if uow.accounts.get_by_email(email) is not None:
                continue
            # The password policy is bypassed on purpose: a published demo password is the
            # point here, and no person ever chose it.
            password_hash = hasher.hash(DEMO_PASSWORD)
            now = datetime.now(timezone.utc)
            account = Account.register(id=str(uuid.uuid4()), email=email, display_name=name,
                                       password_hash=password_hash, now=now, roles=roles,
                                       body=body, by="demo-seed")
            account.verify_email(now)
            try:
                uow.accounts.add(account)
                uow.commit()
            except IntegrityError:  # another instance created it a moment ago
                continue
            created.append(email)
    return created
