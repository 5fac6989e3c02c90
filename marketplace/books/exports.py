"""The books as files: CSV of slips and statements, and the producer's statement as a PDF
(fpdf2, built-in Helvetica in Windows-1252: French accents and the euro sign, no font file)."""

from __future__ import annotations

import csv
import io

from flask_babel import format_date
from flask_babel import gettext as _

from marketplace.books.owed import Statement
from marketplace.books.remittances import SlipLine
from marketplace.payments.money import format_money

KIND_LABELS = {
    "collected": lambda: _("Encaissé"),
    "refunded": lambda: _("Remboursé"),
    "fees": lambda: _("Frais de paiement"),
    "handed_over": lambda: _("Remis au producteur"),
    "paid_out": lambda: _("Virement au producteur"),
}


def _euros(cents: int) -> str:
    """12,50 in a spreadsheet's French notation."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100},{cents % 100:02d}"


def slip_csv(lines: list[SlipLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("Producteur"), _("Banque"), _("Numéro"), _("Titulaire"), _("Montant (€)")])
    for line in lines:
        writer.writerow(
            [line.producer_name, line.bank, line.cheque_number, line.holder,
             _euros(line.amount_cents)]
        )  # fmt: skip
    writer.writerow([_("Total"), "", "", "", _euros(sum(x.amount_cents for x in lines))])
    return out.getvalue()


def statement_csv(statement: Statement) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([_("Date"), _("Mouvement"), _("Libellé"), _("Foyer"), _("Montant (€)")])
    writer.writerow(["", _("Solde dû au début"), "", "", _euros(statement.opening_cents)])
    for line in statement.lines:
        writer.writerow(
            [line.on.isoformat(), KIND_LABELS[line.kind](), line.label, line.household,
             _euros(line.amount_cents)]
        )  # fmt: skip
    writer.writerow(["", _("Solde dû à la fin"), "", "", _euros(statement.closing_cents)])
    return out.getvalue()


def _pdf_text(text: str) -> str:
    plain = text.replace("\u202f", " ")
    return plain.encode("windows-1252", errors="replace").decode("windows-1252")


def statement_pdf(statement: Statement, *, group_name: str, producer_name: str) -> bytes:
    from fpdf import FPDF  # with Pillow: loaded when a statement is first printed

    pdf = FPDF()
    pdf.core_fonts_encoding = "windows-1252"
    pdf.set_title(_pdf_text(_("Relevé de %(name)s", name=producer_name)))
    pdf.add_page()
    pdf.set_font("helvetica", style="B", size=14)
    title = _(
        "Relevé de %(producer)s auprès de %(group)s", producer=producer_name, group=group_name
    )
    pdf.multi_cell(0, 8, _pdf_text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    period = _(
        "Du %(start)s au %(end)s",
        start=format_date(statement.start, "long"),
        end=format_date(statement.end, "long"),
    )
    pdf.multi_cell(0, 6, _pdf_text(period), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    with pdf.table(col_widths=(22, 34, 70, 36, 28), text_align=("LEFT",) * 4 + ("RIGHT",)) as t:
        header = t.row()
        for title in (_("Date"), _("Mouvement"), _("Libellé"), _("Foyer"), _("Montant")):
            header.cell(_pdf_text(title))
        opening = t.row()
        for text in ("", _("Solde dû au début"), "", "", format_money(statement.opening_cents)):
            opening.cell(_pdf_text(text))
        for line in statement.lines:
            row = t.row()
            for text in (
                format_date(line.on, "short"),
                KIND_LABELS[line.kind](),
                line.label,
                line.household,
                format_money(line.amount_cents),
            ):
                row.cell(_pdf_text(text))
        closing = t.row()
        for text in ("", _("Solde dû à la fin"), "", "", format_money(statement.closing_cents)):
            closing.cell(_pdf_text(text))
    return bytes(pdf.output())
