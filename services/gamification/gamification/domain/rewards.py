"""Rewards for the most active residents: who is nominated when a period ends, how staff decide
a nomination, and the words a certificate of gratitude says. Plain Python.

A nomination is ``pending`` until staff approve it (yielding one reward: a certificate or a
gift) or decline it (with a reason); a pending nomination of a resident who deleted their
account is ``withdrawn``. A decided nomination never changes again.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

PENDING, APPROVED, DECLINED, WITHDRAWN = "pending", "approved", "declined", "withdrawn"
NOMINATION_STATUSES = (PENDING, APPROVED, DECLINED, WITHDRAWN)
DECISIONS = (APPROVED, DECLINED)
CERTIFICATE, GIFT = "certificate", "gift"
REWARD_KINDS = (CERTIFICATE, GIFT)


class RewardRefused(Exception):
    """A rewards rule says no; ``extra`` tells the caller the state that refused it."""

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.extra = extra


# --- nominating ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Nominee:
    resident_id: str
    district: str | None  # None: the city-wide board
    rank: int  # the resident's place on that board
    points: int


def choose_nominees(boards: dict[str | None, list[dict]], per_district: int,
                    city_wide: int = 0) -> list[Nominee]:
    """The top ``per_district`` residents with points > 0 on each district's board (and the
    top ``city_wide`` on the city-wide board, key ``None``), each resident nominated at most
    once in the period: on the board where their place is best (then more points, then
    city-wide before districts, then by district code). A board whose leader was nominated
    elsewhere fills its places from further down, so ``boards`` should hold enough rows
    (places per board × number of boards is always enough).

    ``boards`` maps board → ``[{rank, resident_id, points}]`` best first.
    """
    candidates = sorted(
        ((row["rank"], -row["points"], board is not None, board or "", row)
         for board, rows in boards.items() for row in rows if row["points"] > 0),
        key=lambda c: c[:4])
    taken: set[str] = set()
    filled: dict[str | None, int] = {}
    chosen: list[Nominee] = []
    for rank, _, is_district, code, row in candidates:
        board = code if is_district else None
        places = per_district if board is not None else city_wide
        if row["resident_id"] in taken or filled.get(board, 0) >= places:
            continue
        taken.add(row["resident_id"])
        filled[board] = filled.get(board, 0) + 1
        chosen.append(Nominee(row["resident_id"], board, rank, row["points"]))
    return sorted(chosen, key=lambda n: (n.district is not None, n.district or "", n.rank))


# --- deciding --------------------------------------------------------------------------------

def check_decidable(status: str) -> None:
    """Only a pending nomination can be decided: deciding twice is a conflict that names the
    status it is already in."""
    if status != PENDING:
        raise RewardRefused(f"this nomination is already {status}", status=status)


def check_gift_grantable(active: bool, stock: int) -> None:
    if not active:
        raise RewardRefused("this gift is no longer offered", active=False, stock=stock)
    if stock <= 0:
        raise RewardRefused("this gift is out of stock", active=True, stock=stock)


def check_deliverable(kind: str, delivered_at: datetime | None) -> None:
    if kind != GIFT:
        raise RewardRefused("only a gift is handed over; a certificate is downloaded",
                            kind=kind)
    if delivered_at is not None:
        raise RewardRefused("this gift was already delivered", kind=kind,
                            delivered_at=delivered_at.isoformat())


# --- the certificate's words -----------------------------------------------------------------

_MONTHS_LOCATIVE = ("січні", "лютому", "березні", "квітні", "травні", "червні", "липні",
                    "серпні", "вересні", "жовтні", "листопаді", "грудні")
_MONTHS_GENITIVE = ("січня", "лютого", "березня", "квітня", "травня", "червня", "липня",
                    "серпня", "вересня", "жовтня", "листопада", "грудня")
_QUARTERS = ("I", "II", "III", "IV")


def period_in_words(key: str) -> str:
    """``2026-11`` → "у листопаді 2026 року", ``2026-Q4`` → "у IV кварталі 2026 року",
    ``2026`` → "у 2026 році"."""
    year, _, part = key.partition("-")
    if not part:
        return f"у {year} році"
    if part.startswith("Q"):
        return f"у {_QUARTERS[int(part[1:]) - 1]} кварталі {year} року"
    return f"у {_MONTHS_LOCATIVE[int(part) - 1]} {year} року"


def date_in_words(day: date) -> str:
    """28 November 2026 → "28 листопада 2026 року"."""
    return f"{day.day} {_MONTHS_GENITIVE[day.month - 1]} {day.year} року"


def points_in_words(points: int) -> str:
    """135 → "135 балів", 21 → "21 бал", 3 → "3 бали" (Ukrainian plural of «бал»)."""
    n = abs(points)
    if n % 10 == 1 and n % 100 != 11:
        word = "бал"
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        word = "бали"
    else:
        word = "балів"
    return f"{points} {word}"


def achievement_in_words(rank: int, points: int, district_name: str | None) -> str:
    """"за 1 місце серед мешканців району «Печерський» — 135 балів" (or "…міста…" when the
    nomination is city-wide)."""
    among = f"району «{district_name}»" if district_name else "міста"
    return f"за {rank} місце серед мешканців {among} — {points_in_words(points)}"
