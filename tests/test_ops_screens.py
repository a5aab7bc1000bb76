"""The war room's state on the real screens (contract 6): an alert firing in Redis shows
on the wall's strip and on /crisis, where it is acknowledged with a tap; the level set
there (a reason required) shows on every screen and in the API, and puts the wall into
crisis focus. (That a wall token can do neither: tests/test_alerts.py.)"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis
import requests
from selenium.webdriver.common.by import By
from streamrig import boundaries

from dashboard.app import create_app
from dashboard.source import SnapshotSource
from marvec.embedded import start_embedded_redis
from marvec.keys import Keys
from marvec.settings import Settings
from marvec.timeutil import iso
from tests.test_screens_rig import AppServer, make_driver, quit_driver, set_viewport, wait

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with start_embedded_redis(None, Path(tmp_path_factory.mktemp("ops-redis"))) as server:
        yield server.url


def firing(client: redis.Redis, fp: str, summary: str) -> None:
    client.hset(Keys().alerts, fp, orjson.dumps({
        "fp": fp, "rule": "incident_severe", "status": "firing", "severity": "critical",
        "labels": {"alertname": "incident_severe", "incident_id": "FL-7", "kecamatan": "Tallo"},
        "value": 5, "summary": summary, "summary_en": summary, "starts_at": iso(time.time() - 20),
        "ends_at": None}))


def _app(url: str, **kw: Any) -> AppServer:
    settings = Settings(redis_url=url, refresh_ms=500, **kw)
    source = SnapshotSource(url, boundaries().names, refresh_s=0.3)
    return AppServer(create_app(settings, boundaries(), source).server)


def test_an_alert_is_seen_acknowledged_and_the_level_set_on_the_screens(own_redis: str) -> None:
    client = redis.Redis.from_url(own_redis)
    client.flushall()
    firing(client, "fe11", "Banjir tingkat 5 di Tallo")
    server = _app(own_redis, auth="open")
    driver = make_driver()
    try:
        set_viewport(driver, 1920, 1080)
        driver.get(server.url + "/wall")
        wait(driver).until(lambda d: "Banjir tingkat 5 di Tallo" in d.find_element(
            By.CSS_SELECTOR, ".alert-strip").text)
        assert "NORMAL" in driver.find_element(By.CSS_SELECTOR, ".level-badge").text
        item = driver.find_element(By.CSS_SELECTOR, ".alert-strip .alert-item")
        assert "new" in item.get_attribute("class") and "KRITIS" in item.text

        driver.get(server.url + "/crisis")
        wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".alert-row .btn.ack"))
        driver.find_element(By.CSS_SELECTOR, ".alert-row .btn.ack").click()
        wait(driver).until(lambda d: "diterima open" in d.find_element(By.CSS_SELECTOR, ".alert-list").text)
        ack = orjson.loads(client.hget(Keys().alert_acks, "fe11"))
        assert ack["by"] == "open"

        driver.execute_script("document.querySelector('.ops-panel').open = true")
        choice = driver.find_element(By.CSS_SELECTOR, "#crisis-level-choice")
        choice.click()
        wait(driver).until(lambda d: [o for o in d.find_elements(By.CSS_SELECTOR, ".Select-option, [role=option]")
                                      if o.text == "SIAGA"])
        next(o for o in driver.find_elements(By.CSS_SELECTOR, ".Select-option, [role=option]") if o.text == "SIAGA").click()
        driver.find_element(By.CSS_SELECTOR, "#crisis-level-set").click()
        wait(driver).until(lambda d: "Tulis alasannya dulu" in d.find_element(By.CSS_SELECTOR, "#crisis-level-msg").text)
        assert not client.exists(Keys().alert_level)  # no reason: nothing set
        driver.find_element(By.CSS_SELECTOR, "#crisis-level-reason").send_keys("Sungai Tallo meluap")
        driver.find_element(By.CSS_SELECTOR, "#crisis-level-set").click()
        wait(driver).until(lambda d: "SIAGA" in d.find_element(By.CSS_SELECTOR, ".topbar .level-badge").text)
        wait(driver).until(lambda d: "Status kota menjadi SIAGA: Sungai Tallo meluap" in d.find_element(
            By.CSS_SELECTOR, ".war-log").text)

        level = requests.get(server.url + "/api/v1/level", timeout=10).json()
        stored = {k.decode(): v.decode() for k, v in client.hgetall(Keys().alert_level).items()}
        assert (stored["level"], stored["reason"], stored["set_by"]) == ("siaga", "Sungai Tallo meluap", "open")
        assert (level["level"], level["reason"], level["set_by"]) == ("siaga", "Sungai Tallo meluap", "open")

        driver.get(server.url + "/wall")  # the wall: the level large, and crisis focus until lowered
        wait(driver).until(lambda d: "SIAGA" in d.find_element(By.CSS_SELECTOR, ".level-badge.large").text)
        wait(driver).until(lambda d: "focus-crisis" in d.find_element(By.CSS_SELECTOR, ".page.wall").get_attribute(
            "class"))
        assert "diterima" not in driver.find_element(By.CSS_SELECTOR, ".alert-strip").text  # the wall: no ack text
    finally:
        quit_driver(driver)
        server.close()
