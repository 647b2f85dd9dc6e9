"""Points, leaderboards, ratings and rewards endpoints translate to gamification's RPC."""
import base64

from hromada_common.errors import Conflict, Forbidden, NotFound

from gateway_support import assert_problem, fields_in

BOARD = {"period": "2026-11", "district": None, "items": [
    {"rank": 1, "name": "Мешканець-7KQ2", "points": 135, "level": 3}], "limit": 100, "offset": 0}


def test_resident_leaderboard_defaults_to_the_running_month_top_100(gateway):
    gateway.gamification.leaderboard_residents.return_value = BOARD
    response = gateway.api.get("/api/v1/leaderboards/residents")
    assert response.status_code == 200 and response.json() == BOARD
    assert response.headers["Cache-Control"] == "public, max-age=5"
    gateway.gamification.leaderboard_residents.assert_called_once_with(
        {"period": "month", "limit": 100, "offset": 0})


def test_resident_leaderboard_passes_period_and_district(gateway):
    gateway.gamification.leaderboard_residents.return_value = BOARD
    gateway.api.get("/api/v1/leaderboards/residents",
                    params={"period": "2026-Q4", "district": "pecherskyi", "limit": 10})
    gateway.gamification.leaderboard_residents.assert_called_once_with(
        {"period": "2026-Q4", "district": "pecherskyi", "limit": 10, "offset": 0})


def test_a_malformed_period_or_an_oversized_page_is_refused_before_any_call(gateway):
    for params, field in (({"period": "2026-13"}, "period"), ({"period": "last"}, "period"),
                          ({"limit": 101}, "limit"), ({"offset": -1}, "offset"),
                          ({"offset": 100_001}, "offset")):
        problem = assert_problem(gateway.api.get("/api/v1/leaderboards/residents",
                                                 params=params), 422, "invalid-input")
        assert field in fields_in(problem), params
    gateway.gamification.leaderboard_residents.assert_not_called()


def test_body_leaderboard_and_one_bodys_rating(gateway):
    gateway.gamification.leaderboard_bodies.return_value = {"ranked": [], "unranked": []}
    assert gateway.api.get("/api/v1/leaderboards/bodies",
                           params={"period": "year", "domain": "roads"}).status_code == 200
    gateway.gamification.leaderboard_bodies.assert_called_once_with(
        {"period": "year", "domain": "roads", "limit": 100})
    gateway.gamification.body_rating.side_effect = NotFound("no body nowhere")
    assert_problem(gateway.api.get("/api/v1/bodies/nowhere/rating", params={"domain": "roads"}),
                   404, "not-found")
    gateway.gamification.body_rating.assert_called_once_with("nowhere", {"domain": "roads"})


def test_my_points_pages_the_ledger(gateway):
    gateway.gamification.my_points.return_value = {"points": 15}
    response = gateway.api.get("/api/v1/me/points", params={"limit": 5, "offset": 10})
    assert response.json() == {"points": 15}
    gateway.gamification.my_points.assert_called_once_with({"limit": 5, "offset": 10})


def test_showing_ones_name_takes_it_from_accounts(gateway):
    gateway.accounts.get_me.return_value = {"id": "r-1", "display_name": "Олена П."}
    gateway.gamification.set_public_profile.return_value = {"shown_as": "name"}
    response = gateway.api.put("/api/v1/me/public-profile", json={"shown_as": "name"})
    assert response.status_code == 200
    gateway.gamification.set_public_profile.assert_called_once_with(
        {"shown_as": "name", "display_name": "Олена П."})


def test_a_pseudonym_needs_no_name_and_a_bad_choice_is_refused(gateway):
    gateway.gamification.set_public_profile.return_value = {"shown_as": "pseudonym"}
    gateway.api.put("/api/v1/me/public-profile",
                    json={"shown_as": "pseudonym", "pseudonym": "Їжачок"})
    gateway.gamification.set_public_profile.assert_called_once_with(
        {"shown_as": "pseudonym", "pseudonym": "Їжачок"})
    gateway.accounts.get_me.assert_not_called()
    problem = assert_problem(gateway.api.put("/api/v1/me/public-profile",
                                             json={"shown_as": "email"}), 422, "invalid-input")
    assert "shown_as" in fields_in(problem)


def test_a_certificate_downloads_as_a_pdf_with_a_safe_file_name(gateway):
    pdf = b"%PDF-1.4 fake"
    gateway.gamification.certificate.return_value = {
        "filename": 'podyaka "2026-11".pdf', "content_type": "application/pdf",
        "content_base64": base64.b64encode(pdf).decode()}
    response = gateway.api.get("/api/v1/me/rewards/rw-1/certificate")
    assert response.status_code == 200 and response.content == pdf
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'attachment; filename="podyaka-2026-11-.pdf"'
    gateway.gamification.certificate.side_effect = Forbidden("not yours")
    assert_problem(gateway.api.get("/api/v1/me/rewards/rw-2/certificate"), 403, "forbidden")


def test_approving_with_a_certificate_prints_the_residents_name(gateway):
    gateway.gamification.get_nomination.return_value = {"id": "n-1", "resident_id": "r-9"}
    gateway.accounts.public_name_of.return_value = {"r-9": "Тарас Ш."}
    gateway.gamification.decide_nomination.return_value = {"status": "approved"}
    response = gateway.api.post("/api/v1/staff/nominations/n-1/decision", json={
        "decision": "approved", "reward": {"kind": "certificate"}})
    assert response.status_code == 200
    gateway.accounts.public_name_of.assert_called_once_with(["r-9"])
    gateway.gamification.decide_nomination.assert_called_once_with("n-1", {
        "decision": "approved", "reward": {"kind": "certificate"}, "resident_name": "Тарас Ш."})


def test_a_decision_must_say_what_it_needs(gateway):
    for body, field in (({"decision": "declined"}, "reason"),
                        ({"decision": "approved"}, "reward"),
                        ({"decision": "approved", "reward": {"kind": "gift"}}, "reward"),
                        ({"decision": "maybe"}, "decision")):
        problem = assert_problem(gateway.api.post("/api/v1/staff/nominations/n-1/decision",
                                                  json=body), 422, "invalid-input")
        assert any(name.startswith(field) for name in fields_in(problem)), (body, problem)
    gateway.gamification.decide_nomination.assert_not_called()


def test_a_gift_decision_passes_through_and_a_conflict_is_409(gateway):
    gateway.gamification.decide_nomination.side_effect = Conflict("the gift is out of stock")
    problem = assert_problem(gateway.api.post("/api/v1/staff/nominations/n-1/decision", json={
        "decision": "approved", "reward": {"kind": "gift", "gift_id": "g-1"}}), 409, "conflict")
    assert "out of stock" in problem["detail"]
    gateway.accounts.public_name_of.assert_not_called()


def test_gift_catalogue_is_validated(gateway):
    problem = assert_problem(gateway.api.post("/api/v1/staff/gifts", json={
        "name": {"uk": "Термочашка"}, "stock": -1}), 422, "invalid-input")
    assert {"stock"} <= set(fields_in(problem)) and any(
        name.startswith("name") for name in fields_in(problem))
    gateway.gamification.create_gift.return_value = {"id": "g-1"}
    created = gateway.api.post("/api/v1/staff/gifts", json={
        "name": {"uk": "Термочашка", "en": "Travel mug"}, "stock": 20})
    assert created.status_code == 201
    problem = assert_problem(gateway.api.patch("/api/v1/staff/gifts/g-1", json={}), 422,
                             "invalid-input")
    gateway.gamification.update_gift.assert_not_called()
    gateway.gamification.update_gift.return_value = {"id": "g-1", "stock": 25}
    assert gateway.api.patch("/api/v1/staff/gifts/g-1", json={"stock": 25}).status_code == 200
    gateway.gamification.update_gift.assert_called_once_with("g-1", {"stock": 25})


def test_running_nominations_needs_a_period_and_delivery_passes_through(gateway):
    problem = assert_problem(gateway.api.post("/api/v1/staff/nominations/run", json={}), 422,
                             "invalid-input")
    assert "period" in fields_in(problem)
    gateway.gamification.run_nominations.return_value = {"period": "2026-10", "nominated": 3}
    assert gateway.api.post("/api/v1/staff/nominations/run",
                            json={"period": "2026-10"}).status_code == 200
    gateway.gamification.run_nominations.assert_called_once_with("2026-10")
    gateway.gamification.mark_delivered.return_value = {"id": "rw-1"}
    assert gateway.api.post("/api/v1/staff/rewards/rw-1/delivered").status_code == 200
    gateway.gamification.mark_delivered.assert_called_once_with("rw-1")
