"""The certificate of gratitude PDF: Ukrainian text that can be read back out of it."""
import io
import re
from datetime import date

from pypdf import PdfReader

from gamification.adapters.certificate import CertificateData, render_certificate


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return re.sub(r"\s+", " ", reader.pages[0].extract_text())


def data(**overrides) -> CertificateData:
    values = dict(resident_name="Марія Коваленко-Їжак", period="2026-Q4", rank=2, points=87,
                  district_name="Солом’янський", authority="Київська міська рада",
                  signatory_title="Секретар Київської міської ради",
                  signatory_name="Тарас Шевчук", issued_on=date(2027, 1, 5), city="Київ")
    return CertificateData(**(values | overrides))


def test_certificate_text_is_ukrainian_and_extractable():
    pdf = render_certificate(data())
    assert pdf.startswith(b"%PDF-")
    text = text_of(pdf)
    for expected in ("ПОДЯКА", "Марія Коваленко-Їжак", "у IV кварталі 2026 року",
                     "за 2 місце серед мешканців району «Солом’янський» — 87 балів",
                     "КИЇВСЬКА МІСЬКА РАДА", "Секретар Київської міської ради", "Тарас Шевчук",
                     "Київ, 5 січня 2027 року"):
        assert expected in text, expected


def test_the_font_is_embedded():
    reader = PdfReader(io.BytesIO(render_certificate(data())))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    descriptors = [f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                   for f in fonts.values()]
    assert descriptors and all("/FontFile2" in d for d in descriptors)


def test_month_year_and_city_wide_certificates():
    assert "у березні 2026 року" in text_of(render_certificate(data(period="2026-03")))
    text = text_of(render_certificate(data(period="2025", district_name=None, rank=1,
                                           points=301)))
    assert "у 2025 році" in text
    assert "за 1 місце серед мешканців міста — 301 бал" in text


def test_the_same_words_render_the_same_document():
    assert render_certificate(data()) == render_certificate(data())
    assert render_certificate(data()) != render_certificate(data(resident_name="Інше Ім'я"))
