"""Administrators manage the taxonomy: create and change categories. Nothing is ever
deleted (appeals keep their category codes): a category is deactivated instead. Every
change bumps the taxonomy version, is audited, and publishes the whole taxonomy so every
subscriber's copy (intake's) converges."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from hromada_common.auth import Identity, Unauthenticated
from hromada_common.errors import InvalidInput, NotFound, load_or_invalid

from ..domain.taxonomy import Category, category_errors
from ..schemas import CategoryIn, CategoryUpdateIn
from .handlers import _record_taxonomy_published, category_view


def _admin(identity: Identity | None) -> Identity:
    if identity is None:
        raise Unauthenticated("sign in first")
    return identity.require_role("admin").require_active()


def _fields(raw) -> tuple[dict, ...]:
    return tuple({"name": f["name"], "type": f["type"], "required": bool(f["required"]),
                  "label": dict(f["label"]), "choices": f.get("choices") or None}
                 for f in raw or ())


def _check(category: Category, taxonomy) -> None:
    errors = category_errors(category, taxonomy)
    if errors:
        raise InvalidInput("the category does not fit the taxonomy: " + ", ".join(sorted(errors)),
                           errors)


def _commit_change(uow, category: Category, action: str, by: str,
                   before: dict | None) -> dict:
    now = datetime.now(timezone.utc)
    uow.taxonomy.put_category(category)
    version = uow.taxonomy.next_version()
    after = category_view(category)
    uow.taxonomy.audit(code=category.code, action=action, by=by, at=now, version=version,
                       before=before, after=after)
    _record_taxonomy_published(uow, uow.taxonomy.load())
    uow.commit()
    return after | {"taxonomy_version": version}


def create_category(uow, payload, identity: Identity | None) -> dict:
    """Add a domain, category or leaf. Raises InvalidInput naming every field at fault."""
    identity = _admin(identity)
    data = load_or_invalid(CategoryIn(), payload)
    leaf = data["level"] == "leaf"
    category = Category(
        code=data["code"], name_uk=data["name"]["uk"], name_en=data["name"]["en"],
        level=data["level"], parent=data["parent"], body=data.get("body"),
        active=data.get("active", True),
        default_complexity=data.get("default_complexity", "standard" if leaf else None),
        deadline_hours=dict(data["deadline_hours"]) if data.get("deadline_hours") else None,
        emergency=bool(data.get("emergency", False)),
        fields=_fields(data.get("fields_")),
    )
    with uow:
        taxonomy = uow.taxonomy.load()
        if category.code in taxonomy.categories:
            raise InvalidInput(f"category {category.code} exists; change it instead",
                               {"code": ["already exists"]})
        _check(category, taxonomy)
        return _commit_change(uow, category, "create", identity.actor, None)


def update_category(uow, code: str, payload, identity: Identity | None) -> dict:
    """Rename, move under another parent of the right level, change the body, deadlines or
    fields, deactivate or activate. Only the keys given change."""
    identity = _admin(identity)
    data = load_or_invalid(CategoryUpdateIn(), payload)
    with uow:
        taxonomy = uow.taxonomy.load()
        current = taxonomy.categories.get(str(code))
        if current is None:
            raise NotFound(f"no category {code}", {"code": ["no such category"]})
        changes = {}
        if "name" in data:
            changes |= {"name_uk": data["name"]["uk"], "name_en": data["name"]["en"]}
        for key in ("parent", "body", "default_complexity", "emergency", "active"):
            if key in data:
                changes[key] = data[key]
        if "deadline_hours" in data:
            changes["deadline_hours"] = dict(data["deadline_hours"])
        if "fields_" in data:
            changes["fields"] = _fields(data["fields_"])
        if not current.is_leaf:
            leaf_only = sorted({"body", "default_complexity", "emergency", "deadline_hours",
                                "fields"} & set(changes))
            if leaf_only:
                raise InvalidInput("only a leaf has " + ", ".join(leaf_only),
                                   {k: ["only a leaf has this"] for k in leaf_only})
        if changes.get("parent") == current.code:
            raise InvalidInput("a category cannot be its own parent",
                               {"parent": ["cannot be the category itself"]})
        updated = replace(current, **changes)
        if updated == current:
            return category_view(current) | {"taxonomy_version": taxonomy.version}
        _check(updated, taxonomy)
        action = ("deactivate" if current.active and not updated.active else
                  "activate" if updated.active and not current.active else "update")
        return _commit_change(uow, updated, action, identity.actor, category_view(current))
