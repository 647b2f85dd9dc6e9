import os
import socket
import subprocess
import sys
import uuid

import pytest

from hromada_common.auth import TokenVerifier, generate_key_pair
from hromada_common.testing.helpers import call_as, migrated_database, service_config, wait_until

SERVICE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(os.path.dirname(SERVICE_DIR))
PASSWORD = "correct horse battery"

# Cheap argon2 parameters: the tests hash hundreds of passwords.
FAST_HASHING = {"PASSWORD_HASH_TIME_COST": 1, "PASSWORD_HASH_MEMORY_KIB": 1024,
                "PASSWORD_HASH_PARALLELISM": 1}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def jwt_keys(tmp_path_factory):
    """``(private_path, public_path, public_pem)`` of a fresh key pair."""
    private, public = generate_key_pair()
    directory = tmp_path_factory.mktemp("jwt")
    private_path, public_path = directory / "private.pem", directory / "public.pem"
    private_path.write_text(private)
    public_path.write_text(public)
    return str(private_path), str(public_path), public


@pytest.fixture(scope="session")
def mail_sink(tmp_path_factory):
    """``(port, directory)`` of the development mail sink, run as a subprocess (its asyncio
    server wants a real OS thread; this test process is monkey-patched by eventlet)."""
    directory = tmp_path_factory.mktemp("mail")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "deploy.mailsink", "--port", str(port), "--dir", str(directory),
         "--quiet"], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def listening():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()
            return False

    wait_until(listening, timeout=15, message="the mail sink to listen")
    yield port, str(directory)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def accounts_db(make_database):
    return migrated_database(make_database, "accounts", SERVICE_DIR)


@pytest.fixture
def database(accounts_db):
    """Units of work on the test's accounts database (a factory: ``with database() as uow``)."""
    from sqlalchemy.orm import sessionmaker

    from accounts.adapters.orm import inbox, outbox
    from accounts.adapters.uow import AccountsUnitOfWork
    from hromada_common.db import make_engine

    engine = make_engine(accounts_db, pool_size=2)
    factory = sessionmaker(engine, expire_on_commit=False)
    yield lambda: AccountsUnitOfWork(factory, outbox, inbox, "/hromada/accounts")
    engine.dispose()


@pytest.fixture
def accounts_config(hromada_amqp_uri, accounts_db, jwt_keys, mail_sink):
    private_path, public_path, _ = jwt_keys
    return service_config(hromada_amqp_uri, accounts_db, JWT_PRIVATE_KEY_FILE=private_path,
                          JWT_PUBLIC_KEY_FILE=public_path, SMTP_HOST="127.0.0.1",
                          SMTP_PORT=mail_sink[0], MAIL_FROM="Громада <no-reply@hromada.test>",
                          **FAST_HASHING)


@pytest.fixture
def accounts_container(container_factory, accounts_config):
    from accounts.service import AccountsService

    container = container_factory(AccountsService, accounts_config)
    container.start()
    return container


@pytest.fixture
def verifier(jwt_keys):
    return TokenVerifier(jwt_keys[2])


def unique_email(label: str = "resident") -> str:
    return f"{label}-{uuid.uuid4().hex[:10]}@example.org"


call = call_as


def wait_for_code(mail_dir: str, email: str, previous: str | None = None, timeout=15) -> str:
    """The newest code mailed to ``email`` (a different one from ``previous``)."""
    from deploy.mailsink import latest_code, messages_to

    seen = len(messages_to(mail_dir, email)) if previous else 0

    def arrived():
        if previous and len(messages_to(mail_dir, email)) <= seen:
            return None
        return latest_code(mail_dir, email)

    return wait_until(arrived, timeout=timeout, message=f"a code mailed to {email}")


@pytest.fixture
def make_account(accounts_config):
    """Arrange accounts directly in the service's database (verified, any roles)."""
    from datetime import datetime, timezone

    from sqlalchemy.orm import sessionmaker

    from accounts.adapters.hashing import Argon2Hasher
    from accounts.adapters.orm import inbox, outbox
    from accounts.adapters.uow import AccountsUnitOfWork
    from accounts.domain.model import Account
    from hromada_common.db import make_engine

    engine = make_engine(accounts_config["DATABASE_URL"], pool_size=2)
    hasher = Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)

    def create(roles=("resident",), body=None, verified=True, label=None, name="Тестова Особа",
               language=None):
        email = unique_email(label or roles[0])
        now = datetime.now(timezone.utc)
        account = Account.register(id=str(uuid.uuid4()), email=email, display_name=name,
                                   password_hash=hasher.hash(PASSWORD), now=now, roles=roles,
                                   body=body, by="test", language=language)
        if verified:
            account.verify_email(now)
        uow = AccountsUnitOfWork(sessionmaker(engine, expire_on_commit=False), outbox, inbox,
                                 "/hromada/accounts")
        with uow:
            uow.accounts.add(account)
            uow.commit()
        return account

    yield create
    engine.dispose()


@pytest.fixture
def sign_in(accounts_container):
    def tokens_of(account_or_email, password=PASSWORD):
        email = getattr(account_or_email, "email", account_or_email)
        return call(accounts_container, "issue_tokens", email, password)

    return tokens_of
