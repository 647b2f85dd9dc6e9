"""The plain-Python rules of nearby duplicates: distance, the box an index searches, who may
support, and the index predicate matching the one lifecycle definition."""
import importlib.util
import os

import pytest

from hromada_common.lifecycle import OPEN_STATES, AppealState
from intake.adapters.orm import OPEN_STATE_PREDICATE
from intake.domain.nearby import box_around, distance_m, is_open, support_refusal

KHRESHCHATYK = (50.4501, 30.5234)


def test_distance_of_a_known_pair_is_right_to_a_metre():
    # 0.001° of latitude is 111.19 m on the mean sphere
    assert distance_m(50.0, 30.0, 50.001, 30.0) == pytest.approx(111.19, abs=0.05)
    # along a parallel it shrinks with cos(latitude)
    assert distance_m(50.0, 30.0, 50.0, 30.001) == pytest.approx(71.47, abs=0.05)
    assert distance_m(*KHRESHCHATYK, *KHRESHCHATYK) == 0


@pytest.mark.parametrize("bearing_lat, bearing_lon", [(1, 0), (0, 1), (-1, 0), (0, -1),
                                                       (0.7071, 0.7071)])
def test_the_box_holds_every_point_of_the_circle(bearing_lat, bearing_lon):
    lat, lon = KHRESHCHATYK
    box = box_around(lat, lon, 250)
    # walk outwards until 250 m along the bearing: that point must be inside the box
    step = 1e-6
    k = 0
    while distance_m(lat, lon, lat + bearing_lat * step * k, lon + bearing_lon * step * k) < 250:
        k += 1
    edge = (lat + bearing_lat * step * (k - 1), lon + bearing_lon * step * (k - 1))
    assert box.min_lat <= edge[0] <= box.max_lat and box.min_lon <= edge[1] <= box.max_lon
    # and the box is not much bigger than the circle (an index range worth having)
    assert (box.max_lat - box.min_lat) * 111_195 < 501


def test_only_open_states_take_support():
    assert {s for s in AppealState if is_open(s)} == {
        AppealState.SUBMITTED, AppealState.ASSIGNED, AppealState.IN_PROGRESS, AppealState.REWORK}
    assert not is_open("resolved") and not is_open("closed") and not is_open("duplicate")


def test_verified_active_residents_support_others_do_not():
    assert support_refusal(frozenset({"resident"}), True, True) is None
    assert "verify" in support_refusal(frozenset({"resident"}), False, True)
    assert "blocked" in support_refusal(frozenset({"resident"}), True, False)
    assert "residents" in support_refusal(frozenset({"integration"}), True, True)


def test_the_partial_index_is_built_on_the_lifecycle_open_states():
    """The model's predicate comes from OPEN_STATES; the migration froze it as text. If
    OPEN_STATES changes, this fails until a migration rebuilds the index."""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "migrations", "versions", "0007_supporters.py")
    spec = importlib.util.spec_from_file_location("m0007", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert migration.OPEN_STATE_PREDICATE == OPEN_STATE_PREDICATE
    assert all(f"'{s.value}'" in OPEN_STATE_PREDICATE for s in OPEN_STATES)
