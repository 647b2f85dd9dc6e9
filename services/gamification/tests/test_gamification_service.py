"""The gamification service answers health checks against its real, migrated database."""


def test_health_reports_database_and_broker(driver):
    assert driver.call("health") == {"database": "ok", "broker": "ok", "revocations": "ok"}
