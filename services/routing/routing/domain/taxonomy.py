"""The category taxonomy: domain → category → leaf, each leaf with its responsible body,
deadline per complexity class and the extra fields a resident must give."""
from __future__ import annotations

from dataclasses import dataclass, field

COMPLEXITIES = ("simple", "standard", "complex")
LEVELS = ("domain", "category", "leaf")


class TaxonomyError(ValueError):
    """The taxonomy data breaks a rule (duplicate code, unknown body, unordered deadlines…)."""


@dataclass(frozen=True)
class Body:
    code: str
    name_uk: str
    name_en: str
    kind: str


@dataclass(frozen=True)
class Category:
    code: str
    name_uk: str
    name_en: str
    level: str
    parent: str | None
    body: str | None = None
    active: bool = True
    default_complexity: str | None = None
    deadline_hours: dict[str, int] | None = None
    emergency: bool = False
    fields: tuple[dict, ...] = ()

    @property
    def is_leaf(self) -> bool:
        return self.level == "leaf"


@dataclass
class Taxonomy:
    version: int
    bodies: dict[str, Body] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)

    def leaves(self) -> list[Category]:
        return [c for c in self.categories.values() if c.is_leaf]


def taxonomy_from_data(data: dict) -> Taxonomy:
    """Build and check a taxonomy from its data-file shape (see data/taxonomy.yml)."""
    taxonomy = Taxonomy(version=int(data.get("version", 1)))
    for raw in data.get("bodies", []):
        if raw["code"] in taxonomy.bodies:
            raise TaxonomyError(f"duplicate body {raw['code']}")
        taxonomy.bodies[raw["code"]] = Body(raw["code"], raw["name"]["uk"], raw["name"]["en"],
                                            raw.get("kind", "department"))

    def add(category: Category) -> None:
        if category.code in taxonomy.categories:
            raise TaxonomyError(f"duplicate category {category.code}")
        taxonomy.categories[category.code] = category

    for domain in data.get("domains", []):
        add(Category(domain["code"], domain["name"]["uk"], domain["name"]["en"], "domain", None,
                     active=domain.get("active", True)))
        for cat in domain.get("categories", []):
            add(Category(cat["code"], cat["name"]["uk"], cat["name"]["en"], "category",
                         domain["code"], active=cat.get("active", True)))
            for leaf in cat.get("subcategories", []):
                add(_leaf(leaf, cat["code"], taxonomy))
    return taxonomy


def _leaf(raw: dict, parent: str, taxonomy: Taxonomy) -> Category:
    code = raw["code"]
    if not code.startswith(parent + "."):
        raise TaxonomyError(f"{code} must start with its parent's code {parent}")
    if raw["body"] not in taxonomy.bodies:
        raise TaxonomyError(f"{code}: unknown body {raw['body']}")
    hours = {k: int(v) for k, v in raw["deadline_hours"].items()}
    if set(hours) != set(COMPLEXITIES):
        raise TaxonomyError(f"{code}: deadline_hours needs {COMPLEXITIES}")
    if not 0 < hours["simple"] <= hours["standard"] <= hours["complex"]:
        raise TaxonomyError(f"{code}: deadlines must grow from simple to complex")
    default_complexity = raw.get("default_complexity", "standard")
    if default_complexity not in COMPLEXITIES:
        raise TaxonomyError(f"{code}: unknown complexity {default_complexity}")
    fields = tuple(
        {"name": f["name"], "type": f["type"], "required": bool(f.get("required", False)),
         "label": {"uk": f["label"]["uk"], "en": f["label"]["en"]},
         "choices": list(f["choices"]) if f.get("choices") else None}
        for f in raw.get("fields") or ()
    )
    return Category(code, raw["name"]["uk"], raw["name"]["en"], "leaf", parent, raw["body"],
                    bool(raw.get("active", True)), default_complexity, hours,
                    bool(raw.get("emergency", False)), fields)


PARENT_LEVEL = {"domain": None, "category": "domain", "leaf": "category"}
"""The level a category's parent must have."""


def category_errors(c: Category, taxonomy: Taxonomy) -> dict[str, list[str]]:
    """What is wrong with ``c`` as a member of ``taxonomy`` (empty when it fits), field by
    field. Codes are permanent: appeals keep them, so a moved category keeps its code."""
    errors: dict[str, list[str]] = {}
    wanted = PARENT_LEVEL[c.level]
    if wanted is None:
        if c.parent is not None:
            errors["parent"] = ["a domain has no parent"]
    else:
        parent = taxonomy.categories.get(c.parent) if c.parent else None
        if parent is None:
            errors["parent"] = [f"a {c.level} needs an existing {wanted} as its parent"]
        elif parent.level != wanted:
            errors["parent"] = [f"{c.parent} is a {parent.level}; a {c.level}'s parent must "
                                f"be a {wanted}"]
    if c.is_leaf:
        if not c.body:
            errors["body"] = ["a leaf needs its responsible body"]
        elif c.body not in taxonomy.bodies:
            errors["body"] = [f"no body {c.body}"]
        hours = c.deadline_hours or {}
        if set(hours) != set(COMPLEXITIES):
            errors["deadline_hours"] = [f"a leaf needs hours for {', '.join(COMPLEXITIES)}"]
        elif not 0 < hours["simple"] <= hours["standard"] <= hours["complex"]:
            errors["deadline_hours"] = ["deadlines must grow from simple to complex"]
        if c.default_complexity not in COMPLEXITIES:
            errors["default_complexity"] = [f"must be one of {', '.join(COMPLEXITIES)}"]
    else:
        for name, value in (("body", c.body), ("deadline_hours", c.deadline_hours),
                            ("default_complexity", c.default_complexity),
                            ("fields", c.fields or None), ("emergency", c.emergency or None)):
            if value is not None:
                errors[name] = ["only a leaf has this"]
    return errors
