"""Routing rules: which body acts on an appeal of a category in a district.

A rule names a category code at any level (a domain such as ``housing``, a category such as
``parks.facilities`` or a leaf) and optionally a district; ``district: "*"`` matches every
district and may use ``{district}`` in the body code (``housing_{district}``). The most
specific matching rule wins: a deeper category before a shallower one, and at the same depth
a rule for the district before one for the whole city. Rules whose body does not exist are
skipped, so a stale rule never sends an appeal nowhere.
"""
from __future__ import annotations

from dataclasses import dataclass

ANY_DISTRICT = "*"
CATEGORY_DEFAULT_RULE = "category default body"


@dataclass(frozen=True)
class RoutingRule:
    name: str
    category: str
    body: str
    district: str | None = None

    @property
    def depth(self) -> int:
        return self.category.count(".") + 1

    def matches(self, category_code: str, district: str | None) -> bool:
        if not (category_code == self.category or category_code.startswith(self.category + ".")):
            return False
        if self.district is None:
            return True
        if district is None:
            return False
        return self.district == ANY_DISTRICT or self.district == district

    def body_for(self, district: str | None) -> str:
        return self.body.format(district=district) if "{district}" in self.body else self.body

    @property
    def specificity(self) -> tuple[int, int]:
        return (self.depth, 0 if self.district is None else 1)


class RuleError(ValueError):
    """The rules data breaks a rule (missing keys, unknown district)."""


def rules_from_data(data: dict, district_codes=None) -> tuple[RoutingRule, ...]:
    """Rules from their data-file shape (see data/rules.yml), most specific first."""
    rules = []
    for index, raw in enumerate(data.get("rules") or ()):
        try:
            rule = RoutingRule(str(raw.get("name") or f"rule {index + 1}"), raw["category"],
                               raw["body"], raw.get("district"))
        except KeyError as exc:
            raise RuleError(f"rule {index + 1}: missing {exc.args[0]}") from None
        if district_codes is not None and rule.district not in (None, ANY_DISTRICT) \
                and rule.district not in district_codes:
            raise RuleError(f"{rule.name}: unknown district {rule.district}")
        rules.append(rule)
    # sorted() is stable: rules of equal specificity keep their file order.
    return tuple(sorted(rules, key=lambda r: r.specificity, reverse=True))


def choose_body(rules, category_code: str, district: str | None, *, default_body: str | None,
                known_bodies, fallback_body: str) -> tuple[str, str]:
    """``(body, why)`` for an appeal: the most specific matching rule, else the category's
    default body, else the fallback body (the dispatch centre). Never nowhere."""
    for rule in rules:
        if rule.matches(category_code, district):
            body = rule.body_for(district)
            if body in known_bodies:
                return body, f"rule: {rule.name}"
    if default_body and default_body in known_bodies:
        return default_body, CATEGORY_DEFAULT_RULE
    return fallback_body, "fallback: no rule and no default body"
