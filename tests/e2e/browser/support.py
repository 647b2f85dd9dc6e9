"""What browser journeys use: ``check_page(browser, name)`` runs axe-core (WCAG 2.1 A and
AA rules) and the 320 px width check on the page shown and, with HROMADA_SCREENSHOTS=1,
saves a small screenshot of it into docs/screenshots/<name>.png; ``click`` and ``submit``
wait for the page they lead to; ``fill`` and ``choose`` set form fields by name, and
``field_error`` reads (and checks the wiring of) the message beside a field."""
import io
import os
import re
import time
from functools import cache
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

REPO = Path(__file__).resolve().parents[3]
AXE_PATH = REPO / "node_modules" / "axe-core" / "axe.min.js"
DOCS_SHOTS = REPO / "docs" / "screenshots"
PHONE = {"width": 375, "height": 740}
NARROWEST = {"width": 320, "height": 640}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("serious", "critical")
WAIT = 15


@cache
def axe_source() -> str:
    return AXE_PATH.read_text(encoding="utf-8")


def check_accessibility(browser):
    """Fail listing every serious or critical WCAG 2.1 A/AA violation axe finds on the page.

    axe is injected through WebDriver's script execution (the DevTools protocol), which the
    page's Content-Security-Policy does not govern: the page keeps its real CSP, so a page
    whose own scripts or styles the CSP blocks is tested as a reader sees it."""
    if not browser.execute_script("return typeof window.axe === 'object'"):
        browser.execute_script(axe_source())
    results = browser.execute_async_script(
        """const [tags, done] = arguments;
           axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})
              .then(done, error => done({error: String(error)}));""", AXE_TAGS)
    assert "error" not in results, f"axe failed on {browser.current_url}: {results['error']}"
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    lines = []
    for violation in blocking:
        lines.append(f"{violation['impact']} {violation['id']}: {violation['help']} "
                     f"({violation['helpUrl']})")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['failureSummary']}")
    assert not blocking, f"axe on {browser.current_url}:\n" + "\n".join(lines)


def set_viewport(browser, size):
    """The page's viewport at exactly ``size`` CSS px (a window size would include the
    window's own frame)."""
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": size["width"], "height": size["height"], "deviceScaleFactor": 1,
        "mobile": False})


def check_fits_320px(browser):
    """At 320 CSS px (WCAG 1.4.10 reflow) the page scrolls only vertically."""
    set_viewport(browser, NARROWEST)
    try:
        # the narrower of the window and the layout viewport (a scrollbar takes room)
        scroll_width, width = browser.execute_script(
            "return [document.scrollingElement.scrollWidth,"
            "        Math.min(window.innerWidth, document.documentElement.clientWidth)]")
        assert scroll_width <= width, (
            f"{browser.current_url} is {scroll_width} px wide at {width} px: it scrolls sideways")
    finally:
        set_viewport(browser, PHONE)


def docs_screenshot(browser, name):
    """With HROMADA_SCREENSHOTS=1, the first screen of the page at phone width into
    docs/screenshots/<name>.png, reduced to 64 colours (small enough to commit). Off by
    default, so that test runs do not rewrite the docs."""
    if os.environ.get("HROMADA_SCREENSHOTS") != "1":
        return
    from PIL import Image

    image = Image.open(io.BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    image.quantize(colors=64).save(DOCS_SHOTS / f"{name}.png", optimize=True)


def check_no_script_errors(browser):
    """No uncaught script error and no CSP refusal since the last look at the console
    (a failed network fetch, such as a map tile, is not counted)."""
    errors = [entry["message"] for entry in browser.get_log("browser")
              if entry["level"] == "SEVERE" and entry.get("source") in ("javascript", "security")]
    assert not errors, f"the console of {browser.current_url}:\n" + "\n".join(errors)


def check_page(browser, name=None):
    """Everything a page must pass: no script error, axe, 320 px; and its docs screenshot
    when ``name``."""
    check_no_script_errors(browser)
    check_accessibility(browser)
    check_fits_320px(browser)
    if name:
        docs_screenshot(browser, name)


def _gone(element):
    """A predicate: ``element``'s document has been replaced (a protocol error while the old
    document is torn down means not yet)."""
    def check(_browser):
        try:
            element.tag_name
        except StaleElementReferenceException:
            return True
        except WebDriverException:
            return False
        return False
    return check


def _leads_to_a_new_page(browser, action):
    old = browser.find_element(By.TAG_NAME, "html")
    action()
    WebDriverWait(browser, WAIT).until(_gone(old))
    # loaded: deferred scripts have run, so what they add to the page is there
    WebDriverWait(browser, WAIT, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.execute_script("return document.readyState") == "complete")


def go(browser, url):
    browser.get(url)


def click(browser, css=None, link=None):
    """Click a link or button (by CSS selector, or a link by its exact text) and wait for
    the page it leads to."""
    element = (browser.find_element(By.LINK_TEXT, link) if link
               else browser.find_element(By.CSS_SELECTOR, css))
    _leads_to_a_new_page(browser, element.click)


def fill(browser, **fields):
    """Type into form fields by their name: ``fill(browser, email="…")``."""
    for name, value in fields.items():
        field = browser.find_element(By.CSS_SELECTOR, f'main [name="{name}"]')
        field.clear()
        field.send_keys(value)


def choose(browser, name, value):
    """Pick the option ``value`` of the select named ``name``."""
    browser.find_element(By.CSS_SELECTOR,
                         f'main select[name="{name}"] option[value="{value}"]').click()


def field_error(browser, key) -> str:
    """The message shown beside field ``f-<key>``, after checking that it is announced as
    the rules for forms say: aria-invalid, aria-describedby naming it, role=alert."""
    field = browser.find_element(By.ID, f"f-{key}")
    assert field.get_attribute("aria-invalid") == "true", f"{key} is not marked invalid"
    assert f"e-{key}" in (field.get_attribute("aria-describedby") or "").split(), (
        f"{key} is not described by its message")
    message = browser.find_element(By.ID, f"e-{key}")
    assert message.get_attribute("role") == "alert" and message.is_displayed()
    return message.text


def submit(browser, action):
    """Submit the form posting to ``action`` with its submit button; wait for the answer."""
    button = browser.find_element(By.CSS_SELECTOR,
                                  f'form[action="{action}"] button[type="submit"]')
    _leads_to_a_new_page(browser, button.click)


def path(browser) -> str:
    return re.sub(r"^https?://[^/]+", "", browser.current_url)


def text(browser, css) -> str:
    return browser.find_element(By.CSS_SELECTOR, css).text


def html_lang(browser) -> str:
    return browser.find_element(By.TAG_NAME, "html").get_attribute("lang")


def mailed_code(platform, email, newer_than=None, timeout=20) -> str:
    """The newest 6-digit code the platform's mail sink holds for ``email`` (one other than
    ``newer_than``, a code mailed before)."""
    from deploy.mailsink import latest_code

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = latest_code(str(platform.mail_dir), email)
        if code and code != newer_than:
            return code
        time.sleep(0.2)
    raise AssertionError(f"no code mailed to {email}")
