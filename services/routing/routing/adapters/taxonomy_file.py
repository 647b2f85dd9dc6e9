"""Reads the default taxonomy shipped with the project (data/taxonomy.yml)."""
from __future__ import annotations

from pathlib import Path

import yaml

from ..domain.taxonomy import Taxonomy, taxonomy_from_data

DEFAULT_TAXONOMY = Path(__file__).resolve().parent.parent / "data" / "taxonomy.yml"


def load_taxonomy_file(path: str | Path | None = None) -> Taxonomy:
    with open(path or DEFAULT_TAXONOMY, encoding="utf-8") as handle:
        return taxonomy_from_data(yaml.safe_load(handle))
