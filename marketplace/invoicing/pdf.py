"""The printable PDF of a document (fpdf2, DejaVu Sans embedded: every French character).

Documents are printed in French, the language of French invoices, with the mentions an
invoice needs: its number and date, seller and buyer, lines with their VAT, totals before
and after VAT by rate (or « TVA non applicable, art. 293 B du CGI »), payment terms, and
who issued it when a group issues on a producer's behalf.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.invoicing import facturx_xml
from marketplace.invoicing.models import Document, DocumentKind
from marketplace.invoicing.vat import format_rate
from marketplace.payments.money import format_money

if TYPE_CHECKING:  # fpdf (and Pillow with it) is imported when a PDF is first made
    from fpdf import FPDF

FONTS = Path(__file__).parent / "fonts"
FONT = "DejaVu"
EXEMPTION = "TVA non applicable, art. 293 B du CGI"
COLUMNS = (78, 16, 24, 14, 24, 24)  # label, quantity, unit price, VAT, net, total (mm)


def _quantity(milli: int) -> str:
    whole, rest = divmod(milli, 1000)
    return str(whole) if not rest else f"{whole},{rest:03d}".rstrip("0")


def _new_pdf(title: str) -> FPDF:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creator("Circuits courts")
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans-Latin.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold-Latin.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf


def _line(pdf: FPDF, text: str, *, size: int = 9, bold: bool = False, height: float = 5) -> None:
    from fpdf.enums import XPos, YPos

    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _row(pdf: FPDF, cells: tuple[str, ...], *, bold: bool = False) -> None:
    pdf.set_font(FONT, "B" if bold else "", 8)
    for index, (width, text) in enumerate(zip(COLUMNS, cells, strict=True)):
        pdf.cell(width, 6, text, border=1, align="L" if index == 0 else "R")
    pdf.ln(6)


def _title(document: Document) -> str:
    if document.kind == DocumentKind.CREDIT_NOTE:
        return _("Avoir n° %(reference)s", reference=document.reference)
    return _("Facture n° %(reference)s", reference=document.reference)


def render(document: Document) -> bytes:
    """The PDF's bytes; a business's documents are Factur-X PDFs (the XML embedded)."""
    with force_locale("fr"):
        pdf = _new_pdf(_title(document))
        _header(pdf, document)
        _lines(pdf, document)
        _totals(pdf, document)
        _footer(pdf, document)
        content = bytes(pdf.output())
    if facturx_xml.is_business(document):
        content = facturx_xml.embed(content, document)
    return content


def _header(pdf: FPDF, document: Document) -> None:
    _line(pdf, _title(document), size=16, bold=True, height=9)
    _line(pdf, _("Date d’émission : %(date)s", date=document.issued_on.strftime("%d/%m/%Y")))
    if document.corrects is not None:
        _line(
            pdf,
            _(
                "Avoir sur la facture n° %(reference)s du %(date)s",
                reference=document.corrects.reference,
                date=document.corrects.issued_on.strftime("%d/%m/%Y"),
            ),
        )
    pdf.ln(3)
    _line(pdf, _("Vendeur"), bold=True)
    _line(pdf, document.seller_name)
    if document.seller_address:
        _line(pdf, document.seller_address)
    if document.seller_siret:
        _line(pdf, _("SIRET : %(siret)s", siret=document.seller_siret))
    if document.seller_vat_number:
        _line(
            pdf, _("N° de TVA intracommunautaire : %(number)s", number=document.seller_vat_number)
        )
    if document.on_behalf:
        _line(
            pdf,
            _(
                "Document émis par %(issuer)s au nom et pour le compte de %(seller)s",
                issuer=document.issuer_name,
                seller=document.seller_name,
            ),
        )
    pdf.ln(3)
    _line(pdf, _("Client"), bold=True)
    _line(pdf, document.buyer_name)
    _line(pdf, document.buyer_email)
    pdf.ln(4)


def _lines(pdf: FPDF, document: Document) -> None:
    _row(
        pdf,
        (_("Désignation"), _("Qté"), _("PU TTC"), _("TVA"), _("Total HT"), _("Total TTC")),
        bold=True,
    )
    for line in document.lines:
        label = line.label if len(line.label) <= 48 else line.label[:47] + "…"
        _row(
            pdf,
            (
                label,
                _quantity(line.quantity_milli),
                format_money(line.unit_price_cents),
                format_rate(line.vat_rate_bp),
                format_money(line.net_cents),
                format_money(line.total_cents),
            ),
        )
        if len(line.label) > 48:
            _line(pdf, line.label, size=7, height=4)
    pdf.ln(3)


def _totals(pdf: FPDF, document: Document) -> None:
    _line(pdf, _("Total HT : %(amount)s", amount=format_money(document.net_cents)))
    if document.seller_vat_liable:
        by_rate: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        for line in document.lines:
            by_rate[line.vat_rate_bp][0] += line.net_cents
            by_rate[line.vat_rate_bp][1] += line.vat_cents
        for rate, (net, vat) in sorted(by_rate.items()):
            _line(
                pdf,
                _(
                    "TVA %(rate)s sur %(net)s : %(vat)s",
                    rate=format_rate(rate),
                    net=format_money(net),
                    vat=format_money(vat),
                ),
            )
    _line(pdf, _("Total TVA : %(amount)s", amount=format_money(document.vat_cents)))
    _line(pdf, _("Total TTC : %(amount)s", amount=format_money(document.total_cents)), bold=True)
    if not document.seller_vat_liable:
        _line(pdf, EXEMPTION, bold=True)
    pdf.ln(3)


def _footer(pdf: FPDF, document: Document) -> None:
    if document.payment_terms:
        _line(pdf, document.payment_terms)
    if document.kind == DocumentKind.CREDIT_NOTE:
        _line(
            pdf, _("Le montant de cet avoir est porté au crédit de votre compte auprès du groupe.")
        )
    else:
        _line(pdf, _("Pas d’escompte pour paiement anticipé."))


def filename(document: Document) -> str:
    prefix = "avoir" if document.kind == DocumentKind.CREDIT_NOTE else "facture"
    return f"{prefix}-{document.reference}.pdf"
