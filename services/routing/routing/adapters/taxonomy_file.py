"""Reads the default taxonomy shipped with the project (data/taxonomy.yml)."""
from __future__ import annotations

from pathlib import Path

import yaml

from ..domain.taxonomy import Taxonomy, taxonomy_from_data

DEFAULT_TAXONOMY = Path(__file__).resolve().parent.parent / "data" / "taxonomy.yml"


# libyaml's loader parses the default file ten times faster than the pure-Python one (0.05 s
# instead of 0.5 s); this runs inside the service's timer, where it would block the eventlet hub.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_taxonomy_file(path: str | Path | None = None) -> Taxonomy:
    with open(path or DEFAULT_TAXONOMY, encoding="utf-8") as handle:
        return taxonomy_from_data(yaml.load(handle, Loader=_SafeLoader))
