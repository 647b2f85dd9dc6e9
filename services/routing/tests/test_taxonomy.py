"""The category taxonomy: the shipped data file, its checks, and choosing a body for an appeal."""
import copy
from collections import Counter
from datetime import datetime, timezone

import pytest
import yaml

from routing.adapters.taxonomy_file import DEFAULT_TAXONOMY, load_taxonomy_file
from routing.domain.assignment import assign_appeal
from routing.domain.deadlines import WorkingCalendar, deadline_for
from routing.domain.taxonomy import COMPLEXITIES, TaxonomyError, taxonomy_from_data

CALENDAR = WorkingCalendar()
MONDAY_MORNING = datetime(2026, 3, 2, 8, tzinfo=timezone.utc)  # 10:00 in Kyiv


@pytest.fixture(scope="module")
def shipped():
    return load_taxonomy_file()


@pytest.fixture(scope="module")
def shipped_raw():
    with open(DEFAULT_TAXONOMY, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


# --- the shipped data file ------------------------------------------------------------------

def test_shipped_taxonomy_covers_a_city(shipped):
    domains = [c for c in shipped.categories.values() if c.level == "domain"]
    active_leaves = [c for c in shipped.leaves() if c.active]
    assert len(domains) >= 12
    assert len(active_leaves) >= 80
    assert shipped.version >= 1
    assert any(not c.active for c in shipped.leaves()), "a retired leaf shows the active flag works"


def test_shipped_codes_are_unique_in_the_file_itself(shipped_raw):
    codes = []
    for domain in shipped_raw["domains"]:
        codes.append(domain["code"])
        for category in domain.get("categories", []):
            codes.append(category["code"])
            codes += [leaf["code"] for leaf in category.get("subcategories", [])]
    duplicates = [code for code, n in Counter(codes).items() if n > 1]
    assert duplicates == []
    body_codes = [b["code"] for b in shipped_raw["bodies"]]
    assert len(body_codes) == len(set(body_codes))


def test_every_shipped_leaf_has_an_existing_body_and_ordered_deadlines(shipped):
    for leaf in shipped.leaves():
        assert leaf.body in shipped.bodies, leaf.code
        assert set(leaf.deadline_hours) == set(COMPLEXITIES), leaf.code
        hours = [leaf.deadline_hours[c] for c in COMPLEXITIES]
        assert 0 < hours[0] <= hours[1] <= hours[2], leaf.code
        assert leaf.default_complexity in COMPLEXITIES, leaf.code
        assert leaf.code.startswith(leaf.parent + "."), leaf.code


def test_every_shipped_category_and_body_is_named_in_ukrainian_and_english(shipped):
    for category in shipped.categories.values():
        assert category.name_uk.strip() and category.name_en.strip(), category.code
    for body in shipped.bodies.values():
        assert body.name_uk.strip() and body.name_en.strip(), body.code


def test_shipped_hierarchy_is_domain_category_leaf(shipped):
    cats = shipped.categories
    for c in cats.values():
        if c.level == "domain":
            assert c.parent is None
        else:
            parent_level = {"category": "domain", "leaf": "category"}[c.level]
            assert cats[c.parent].level == parent_level, c.code
    # every category has at least one leaf under it
    parents_of_leaves = {leaf.parent for leaf in shipped.leaves()}
    for c in cats.values():
        if c.level == "category":
            assert c.code in parents_of_leaves, c.code


def test_shipped_fallback_body_exists(shipped):
    assert "dispatch_1551" in shipped.bodies


def test_shipped_extra_fields_are_well_formed(shipped):
    for leaf in shipped.leaves():
        for field in leaf.fields:
            assert field["type"] in ("text", "number", "choice"), leaf.code
            assert field["label"]["uk"] and field["label"]["en"], leaf.code
            if field["type"] == "choice":
                assert field["choices"], leaf.code


# --- taxonomy_from_data checks --------------------------------------------------------------

def small_taxonomy() -> dict:
    return {
        "version": 2,
        "bodies": [
            {"code": "kyivavtodor", "name": {"uk": "Київавтодор", "en": "Kyivavtodor"}},
            {"code": "dispatch_1551", "name": {"uk": "1551", "en": "1551"}, "kind": "dispatch"},
        ],
        "domains": [{
            "code": "roads", "name": {"uk": "Дороги", "en": "Roads"},
            "categories": [{
                "code": "roads.surface", "name": {"uk": "Покриття", "en": "Surface"},
                "subcategories": [
                    {"code": "roads.surface.pothole", "name": {"uk": "Вибоїна", "en": "Pothole"},
                     "body": "kyivavtodor", "default_complexity": "simple",
                     "deadline_hours": {"simple": 8, "standard": 40, "complex": 120}},
                    {"code": "roads.surface.sinkhole", "name": {"uk": "Провал", "en": "Sinkhole"},
                     "body": "kyivavtodor", "emergency": True,
                     "deadline_hours": {"simple": 2, "standard": 4, "complex": 24}},
                ],
            }],
        }],
    }


def test_small_taxonomy_is_accepted_in_data_file_order():
    taxonomy = taxonomy_from_data(small_taxonomy())
    assert taxonomy.version == 2
    assert list(taxonomy.categories) == [
        "roads", "roads.surface", "roads.surface.pothole", "roads.surface.sinkhole"]
    assert taxonomy.bodies["kyivavtodor"].kind == "department"  # the default kind
    sinkhole = taxonomy.categories["roads.surface.sinkhole"]
    assert sinkhole.emergency and sinkhole.default_complexity == "standard" and sinkhole.active


def leaf_of(data: dict, index: int = 0) -> dict:
    return data["domains"][0]["categories"][0]["subcategories"][index]


def break_duplicate_leaf(data):
    leaf_of(data, 1)["code"] = "roads.surface.pothole"


def break_duplicate_domain(data):
    data["domains"].append(copy.deepcopy(data["domains"][0]) | {"categories": []})


def break_duplicate_body(data):
    data["bodies"].append(copy.deepcopy(data["bodies"][0]))


def break_unknown_body(data):
    leaf_of(data)["body"] = "ministry_of_silly_walks"


def break_unordered_deadlines(data):
    leaf_of(data)["deadline_hours"] = {"simple": 40, "standard": 8, "complex": 120}


def break_zero_deadline(data):
    leaf_of(data)["deadline_hours"] = {"simple": 0, "standard": 8, "complex": 120}


def break_missing_complexity(data):
    leaf_of(data)["deadline_hours"] = {"simple": 8, "standard": 40}


def break_leaf_outside_parent(data):
    leaf_of(data)["code"] = "lighting.street.pothole"


def break_leaf_prefix_without_dot(data):
    leaf_of(data)["code"] = "roads.surfacepothole"


def break_unknown_complexity(data):
    leaf_of(data)["default_complexity"] = "trivial"


@pytest.mark.parametrize("breakage, message", [
    (break_duplicate_leaf, "duplicate category roads.surface.pothole"),
    (break_duplicate_domain, "duplicate category roads"),
    (break_duplicate_body, "duplicate body kyivavtodor"),
    (break_unknown_body, "unknown body ministry_of_silly_walks"),
    (break_unordered_deadlines, "deadlines must grow"),
    (break_zero_deadline, "deadlines must grow"),
    (break_missing_complexity, "deadline_hours needs"),
    (break_leaf_outside_parent, "must start with its parent's code roads.surface"),
    (break_leaf_prefix_without_dot, "must start with its parent's code roads.surface"),
    (break_unknown_complexity, "unknown complexity trivial"),
])
def test_broken_taxonomy_data_is_rejected(breakage, message):
    data = small_taxonomy()
    breakage(data)
    with pytest.raises(TaxonomyError, match=message):
        taxonomy_from_data(data)


# --- assigning an appeal --------------------------------------------------------------------

def assign(category_code, taxonomy, appeal_id="appeal-x"):
    return assign_appeal(appeal_id=appeal_id, appeal_version=3, category_code=category_code,
                         taxonomy=taxonomy, calendar=CALENDAR, now=MONDAY_MORNING,
                         fallback_body="dispatch_1551")


def test_appeal_goes_to_its_category_default_body_with_its_deadline():
    taxonomy = taxonomy_from_data(small_taxonomy())
    assignment = assign("roads.surface.pothole", taxonomy, appeal_id="a-pothole-1")
    pothole = taxonomy.categories["roads.surface.pothole"]
    assert assignment.appeal_id == "a-pothole-1" and assignment.appeal_version == 3
    assert assignment.category == "roads.surface.pothole"
    assert assignment.body == "kyivavtodor"
    assert assignment.complexity == "simple"  # the leaf's default complexity
    assert assignment.due_at == deadline_for(pothole, "simple", CALENDAR, MONDAY_MORNING)
    assert assignment.due_at == datetime(2026, 3, 3, 8, tzinfo=timezone.utc)  # Tue 10:00 Kyiv
    assert assignment.assigned_at == MONDAY_MORNING
    assert assignment.rule == "category default body"


def test_emergency_appeal_is_due_in_wall_clock_hours():
    taxonomy = taxonomy_from_data(small_taxonomy())
    assignment = assign("roads.surface.sinkhole", taxonomy)
    assert assignment.complexity == "standard"
    assert assignment.due_at == datetime(2026, 3, 2, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize("code", ["roads.surface.flying_cars", "roads.surface", "roads"])
def test_appeal_in_unknown_or_non_leaf_category_goes_to_the_fallback_body(code):
    taxonomy = taxonomy_from_data(small_taxonomy())
    assignment = assign(code, taxonomy)
    assert assignment.body == "dispatch_1551"
    assert assignment.category == code
    assert "fallback" in assignment.rule
    assert assignment.complexity == "standard"
    assert assignment.due_at == CALENDAR.add_working_hours(MONDAY_MORNING, 8)


def test_every_active_shipped_leaf_gets_its_own_body(shipped):
    for leaf in shipped.leaves():
        if leaf.active:
            assignment = assign(leaf.code, shipped)
            assert assignment.body == leaf.body
            assert assignment.due_at > MONDAY_MORNING
