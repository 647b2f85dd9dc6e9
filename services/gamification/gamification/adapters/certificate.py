"""The certificate of gratitude as a PDF: a pure function of plain data (no database, no
config), so the same stored words always render the same document.

Text is set in DejaVu Serif (shipped in ``data/fonts``, Bitstream Vera licence), embedded as a
subset with its Unicode map, so the Ukrainian text can be searched, copied and read back.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from pathlib import Path

from fpdf import FPDF

from ..domain.rewards import achievement_in_words, date_in_words, period_in_words

FONTS = Path(__file__).resolve().parent.parent / "data" / "fonts"
REGULAR, BOLD = FONTS / "DejaVuSerif.ttf", FONTS / "DejaVuSerif-Bold.ttf"

INK = (35, 45, 80)
GOLD = (176, 141, 62)


@dataclass(frozen=True)
class CertificateData:
    """Everything printed on a certificate."""

    resident_name: str
    period: str  # 2026-11, 2026-Q4, 2026
    rank: int
    points: int
    district_name: str | None  # None: among the residents of the whole city
    authority: str
    signatory_title: str
    signatory_name: str
    issued_on: date
    city: str | None = None


def certificate_lines(data: CertificateData) -> dict[str, str]:
    """The words of the certificate, by place on the page."""
    return {
        "authority": data.authority,
        "title": "ПОДЯКА",
        "name": data.resident_name,
        "for": f"за активну участь у житті громади {period_in_words(data.period)}",
        "achievement": achievement_in_words(data.rank, data.points, data.district_name),
        "signatory_title": data.signatory_title,
        "signatory_name": data.signatory_name,
        "date": (f"{data.city}, " if data.city else "") + date_in_words(data.issued_on),
    }


def render_certificate(data: CertificateData) -> bytes:
    """A one-page A4 landscape PDF of the certificate of gratitude."""
    lines = certificate_lines(data)
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_lang("uk")
    pdf.set_title(f"Подяка — {data.resident_name}")
    pdf.set_author(data.authority)
    pdf.set_creator("Hromada")
    # A fixed creation date keeps the bytes a function of the data alone.
    pdf.set_creation_date(datetime.combine(data.issued_on, time(12), tzinfo=timezone.utc))
    pdf.add_font("DejaVuSerif", "", str(REGULAR))
    pdf.add_font("DejaVuSerif", "B", str(BOLD))
    pdf.add_page()
    width, height = pdf.w, pdf.h

    pdf.set_draw_color(*GOLD)
    pdf.set_line_width(1.6)
    pdf.rect(10, 10, width - 20, height - 20)
    pdf.set_line_width(0.4)
    pdf.rect(14, 14, width - 28, height - 28)

    text_width = width - 60
    pdf.set_text_color(*INK)

    def centred(text: str, size: float, y: float, style: str = "", line: float | None = None):
        pdf.set_font("DejaVuSerif", style, size)
        pdf.set_xy(30, y)
        pdf.multi_cell(text_width, line or size * 0.5, text, align="C")

    centred(lines["authority"].upper(), 13, 26, "B")
    pdf.set_text_color(*GOLD)
    centred(lines["title"], 46, 48, "B")
    pdf.set_text_color(*INK)
    centred(lines["name"], 26, 84, "B")
    centred(lines["for"], 16, 112)
    centred(lines["achievement"], 16, 126)

    # The signature line: title on the left, a rule to sign on, the name on the right.
    y = 160
    pdf.set_font("DejaVuSerif", "", 12)
    pdf.set_xy(30, y)
    pdf.multi_cell(105, 6, lines["signatory_title"], align="L")
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.3)
    pdf.line(145, y + 10, 200, y + 10)
    pdf.set_xy(205, y + 4)
    pdf.set_font("DejaVuSerif", "B", 12)
    pdf.cell(62, 6, lines["signatory_name"], align="R")
    pdf.set_font("DejaVuSerif", "", 11)
    pdf.set_xy(30, y + 22)
    pdf.cell(text_width, 6, lines["date"], align="L")
    return bytes(pdf.output())
