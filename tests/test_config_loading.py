"""Every ``config.yml`` loads as written.

nameko's loader (``nameko run --config``) YAML-parses each ``${VAR:default}`` value after
substitution, so a default such as ``hromada:rl:`` silently becomes the mapping
``{'hromada:rl': None}``. These tests load each file exactly as ``nameko run`` does and compare
every substituted value with what its text means: a number where the default is a number, a
boolean where it is true/false, nothing where it is empty, and otherwise the text itself.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from nameko.cli.main import setup_yaml_parser

ROOT = Path(__file__).resolve().parents[1]
CONFIG_FILES = sorted([ROOT / "gateway" / "config.yml", *ROOT.glob("services/*/config.yml")])
SUBSTITUTION = re.compile(r"^\s*([A-Za-z0-9_]+):\s*(!raw_env_var\s+)?\"?\$\{([A-Z0-9_]+)(?::([^}]*))?\}\"?\s*(#.*)?$")


def _load_as_nameko_does(path: Path) -> dict:
    setup_yaml_parser()
    with path.open() as stream:
        return yaml.safe_load(stream)


def _substitutions(path: Path):
    """(key path, variable, default, raw?) for every value that is one whole ``${VAR:default}``."""
    stack: list[tuple[int, str]] = []
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key_match = re.match(r"^\s*([A-Za-z0-9_]+):", line)
        if not key_match:
            continue
        match = SUBSTITUTION.match(line)
        if match:
            key, raw, variable, default, _ = match.groups()
            yield [*(name for _, name in stack), key], variable, default or "", bool(raw)
        else:
            stack.append((indent, key_match.group(1)))


def _meant(default: str, raw: bool):
    if raw:
        return default
    if default == "":
        return None
    if re.fullmatch(r"-?\d+", default):
        return int(default)
    if re.fullmatch(r"-?\d+\.\d*", default):
        return float(default)
    if default.lower() in ("true", "false"):
        return default.lower() == "true"
    return default


def _lookup(config: dict, keys: list[str]):
    value = config
    for key in keys:
        # YAML reads a key such as ``3:`` as the number 3.
        value = value[key] if key in value else value[int(key)]
    return value


@pytest.fixture
def bare_environment(monkeypatch):
    """None of the configs' variables set: every default is in force."""
    for path in CONFIG_FILES:
        for _, variable, _, _ in _substitutions(path):
            monkeypatch.delenv(variable, raising=False)


@pytest.mark.parametrize("path", CONFIG_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_default_loads_as_written(path, bare_environment):
    config = _load_as_nameko_does(path)
    substitutions = list(_substitutions(path))
    assert substitutions, f"{path} has no ${{VAR:default}} values: the pattern is off"
    wrong = {
        ".".join(keys): (default, _lookup(config, keys))
        for keys, _, default, raw in substitutions
        if _lookup(config, keys) != _meant(default, raw)
        or type(_lookup(config, keys)) is not type(_meant(default, raw))
    }
    assert not wrong, f"values that do not load as written in {path.name}: {wrong}"


def test_the_rate_limit_prefix_stays_text_with_colons(monkeypatch, bare_environment):
    config = _load_as_nameko_does(ROOT / "gateway" / "config.yml")
    assert config["RATE_LIMITS_PREFIX"] == "hromada:rl:"
    monkeypatch.setenv("GATEWAY_RATE_LIMITS_PREFIX", "kyiv:rl:")
    assert _load_as_nameko_does(ROOT / "gateway" / "config.yml")["RATE_LIMITS_PREFIX"] == "kyiv:rl:"


def test_a_broker_uri_from_the_environment_stays_text(monkeypatch, bare_environment):
    monkeypatch.setenv("AMQP_URI", "amqp://city:s3cret@broker.internal:5672/kyiv")
    for path in CONFIG_FILES:
        assert _load_as_nameko_does(path)["AMQP_URI"] == "amqp://city:s3cret@broker.internal:5672/kyiv"


def test_cors_origins_and_trusted_proxies_stay_text(monkeypatch, bare_environment):
    from gateway.headers import HeaderPolicy

    monkeypatch.setenv("GATEWAY_CORS_ALLOWED_ORIGINS", "https://app.kyiv.ua,https://map.kyiv.ua:8443")
    monkeypatch.setenv("GATEWAY_TRUSTED_PROXIES", "10.0.0.0/8,::1")
    config = _load_as_nameko_does(ROOT / "gateway" / "config.yml")

    assert config["CORS_ALLOWED_ORIGINS"] == "https://app.kyiv.ua,https://map.kyiv.ua:8443"
    policy = HeaderPolicy.from_config(config)
    assert policy.allowed_origins == {"https://app.kyiv.ua", "https://map.kyiv.ua:8443"}
    assert len(policy.trusted_proxies) == 2 and policy.hsts_max_age == 31536000
