"""The treasurer's books on a short season: remittances and payout runs happen during it (the
invariant producers_settled_plus_owed_equal_collected holds every day), then the year's FEC
of each group is exported and its format checked."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from marketplace.books import fec
from marketplace.books.models import Payout, Remittance
from marketplace.extensions import db
from tests import clock
from tests.simulation.engine import Simulation
from tests.simulation.territory import TerritorySpec

pytestmark = [pytest.mark.simulation, pytest.mark.usefixtures("stripe_server")]

SHORT = TerritorySpec(groups=2, households_per_group=8, weeks=4)


def _amount(text: str) -> Decimal:
    assert re.fullmatch(r"\d+,\d{2}", text), text
    return Decimal(text.replace(",", "."))


def check_fec(content: bytes) -> int:
    text = content.decode("iso-8859-15")
    lines = text.split("\r\n")
    assert lines[-1] == ""
    header, *rows = [line.split("\t") for line in lines[:-1]]
    assert header == list(fec.COLUMNS) and len(header) == 18
    balance: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        assert len(row) == 18, row
        entry = dict(zip(header, row, strict=True))
        for name in ("EcritureDate", "PieceDate", "ValidDate"):
            datetime.strptime(entry[name], "%Y%m%d")  # noqa: DTZ007 (a date, no time)
        assert entry["JournalCode"] in fec.JOURNALS
        assert entry["EcritureNum"].startswith(entry["JournalCode"])
        assert entry["CompteNum"] in fec.ACCOUNTS and entry["EcritureLib"]
        debit, credit = _amount(entry["Debit"]), _amount(entry["Credit"])
        assert (debit == 0) != (credit == 0), row
        balance[entry["EcritureNum"]] += debit - credit
    assert all(total == 0 for total in balance.values()), "an entry does not balance"
    return len(balance)


def test_a_short_season_with_remittances_and_payouts_exports_a_valid_fec(app):
    simulation = Simulation(app, SHORT, seed=7, start=clock.test_now())
    with simulation.unsynced_sqlite():
        summary = simulation.run()
    assert not summary.failures
    assert db.session.scalar(select(func.count(Remittance.id))) > 0
    assert db.session.scalar(select(func.count(Payout.id))) > 0
    years = {simulation.territory.first_day.year, simulation.territory.season_ends_on.year}
    entries = 0
    for group in simulation.territory.groups:
        for year in years:
            entries += check_fec(fec.fec_file(group.group_id, year))
            sheet = fec.accountant_csv(group.group_id, year)
            rows = list(csv.reader(io.StringIO(sheet), delimiter=";"))
            assert rows[0] == list(fec.COLUMNS)
    assert entries > 0
    journals = set()
    for group in simulation.territory.groups:
        for year in years:
            journals |= {entry.journal for entry in fec.entries(group.group_id, year)}
    assert {"VE", "BQ"} <= journals
