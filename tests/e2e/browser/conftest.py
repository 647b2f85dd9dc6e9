"""Browser fixtures: Debian's Chromium driven by Selenium through Debian's chromedriver,
against the running platform (the e2e ``platform`` fixture). One browser per session; each
test gets it clean (no cookies, phone size, JavaScript on unless it asks for it off), and a
failing test leaves a screenshot in var/screenshots/<test>.png.

The browser is Debian's (`make browser`, part of `make install`), never a download: the
driver and the binary are named, so Selenium Manager is never asked. Without them the tests
fail, they do not skip.

Why Selenium and not Playwright: the test process runs under eventlet's monkey patching
(the repository's conftest.py), and Playwright's sync API, greenlets around an asyncio loop,
deadlocks there on navigation events; Selenium's plain HTTP to chromedriver does not care."""
import os
import re

import pytest

from .support import AXE_PATH, PHONE, REPO, set_viewport

CHROMIUM = os.environ.get("HROMADA_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("HROMADA_CHROMEDRIVER", "/usr/bin/chromedriver")
FAILURE_SHOTS = REPO / "var" / "screenshots"


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so that fixtures can tell at teardown
    whether the test failed."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser_binaries():
    """Debian's Chromium and chromedriver, and axe-core: a clear failure, before the platform
    starts, when one is missing."""
    for path, what in ((CHROMIUM, "Chromium"), (CHROMEDRIVER, "chromedriver")):
        if not os.access(path, os.X_OK):
            pytest.fail(f"the browser tests need Debian's {what} at {path}: run `make browser` "
                        "as root (apt-get install chromium chromium-driver)", pytrace=False)
    if not AXE_PATH.is_file():
        pytest.fail(f"axe-core is missing at {AXE_PATH}: run `make install` (npm ci)",
                    pytrace=False)


@pytest.fixture(scope="session")
def chromium(browser_binaries, platform):
    """A headless Chromium for the whole session (started after the platform, which the
    pages need anyway)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.add_argument("--headless=new")
    options.add_argument(f"--window-size={PHONE['width']},{PHONE['height']}")
    options.add_argument("--hide-scrollbars")  # as on a phone: the page keeps its full width
    # Accept-Language: Ukrainian, the portal's default; the language switch is tested
    options.add_experimental_option("prefs", {"intl.accept_languages": "uk,en"})
    options.add_argument("--disable-dev-shm-usage")  # /dev/shm is small in containers
    # nothing but the platform: no map tiles or anything else from the internet
    options.add_argument("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
    if os.geteuid() == 0:  # Chromium refuses its sandbox to root (CI runs as root)
        options.add_argument("--no-sandbox")
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _clean(driver, javascript=True):
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": not javascript})
    driver.get("about:blank")
    set_viewport(driver, PHONE)
    driver.get_log("browser")  # what an earlier test left in the console


def _browse(chromium, request, javascript=True):
    _clean(chromium, javascript)
    yield chromium
    report = getattr(request.node, "report_call", None)
    if report is None or report.failed:
        FAILURE_SHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        if not chromium.save_screenshot(str(FAILURE_SHOTS / f"{name}.png")):
            print(f"no screenshot of {name}")
    _clean(chromium)


@pytest.fixture
def browser(chromium, request):
    """The session's browser, clean: no cookies, phone size, Ukrainian first, JavaScript on."""
    yield from _browse(chromium, request)


@pytest.fixture
def browser_without_js(chromium, request):
    """The same with JavaScript off: every page must work without it."""
    yield from _browse(chromium, request, javascript=False)


@pytest.fixture
def portal(platform):
    """The running portal's base URL."""
    return platform.url
