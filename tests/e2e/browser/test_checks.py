"""The checks themselves can fail: a page with known violations does not pass them."""
import urllib.parse

import pytest

from .support import check_accessibility, check_fits_320px, check_no_script_errors

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

BAD_PAGE = """<!doctype html><html><head><title>bad</title></head><body>
<p style="color:#bbb;background:#fff">faint text</p>
<form><input type="text" name="unlabelled"></form>
<div style="width:600px">too wide</div></body></html>"""


def test_the_checks_report_what_is_wrong_with_a_page(browser):
    browser.get("data:text/html;charset=utf-8," + urllib.parse.quote(BAD_PAGE))
    with pytest.raises(AssertionError) as axe:
        check_accessibility(browser)
    assert "color-contrast" in str(axe.value) and "label" in str(axe.value)
    with pytest.raises(AssertionError, match="scrolls sideways"):
        check_fits_320px(browser)


def test_a_script_error_on_the_page_fails_the_check(browser):
    browser.get("data:text/html;charset=utf-8," + urllib.parse.quote(
        "<!doctype html><html lang=en><title>t</title><script>undefinedFunction()</script>"))
    with pytest.raises(AssertionError, match="undefinedFunction"):
        check_no_script_errors(browser)


def test_browser_without_js_runs_no_page_script(browser_without_js):
    browser_without_js.get("data:text/html;charset=utf-8," + urllib.parse.quote(
        "<!doctype html><html lang=en><title>t</title><p id=p>off</p>"
        "<script>document.getElementById('p').textContent = 'on'</script>"))
    assert browser_without_js.find_element("id", "p").text == "off"
