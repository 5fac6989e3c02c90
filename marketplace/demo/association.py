"""The association's life in the demo: the basket of the week of each published contract for
its next distribution days, and a few documents of the first group (a public charter, minutes
for members, a contract's terms for its subscribers). Idempotent: found before created."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from marketplace.baskets.models import BasketOffer, OfferStatus
from marketplace.catalogue.week_baskets import coming_days
from marketplace.catalogue.week_models import WeekBasket, WeekBasketItem
from marketplace.documents.models import Audience, DocumentType, GroupDocument
from marketplace.extensions import db
from marketplace.groups.models import Group

DAYS_ANNOUNCED = 2

VEGETABLES = (
    ("Carottes", "1 kg", "2 kg"),
    ("Poireaux", "3 pièces", "5 pièces"),
    ("Pommes de terre", "1,5 kg", "3 kg"),
    ("Courge butternut", "1 pièce", "2 pièces"),
    ("Salade", "1 pièce", "2 pièces"),
    ("Oignons", "500 g", "1 kg"),
    ("Chou kale", "1 botte", "1 botte"),
    ("Betteraves", "500 g", "1 kg"),
)
BREAD = (
    ("Pain de campagne au levain", "1 kg"),
    ("Pain aux graines", "500 g"),
)
NOTES = (
    "Les premières courges de la saison : elles se gardent plusieurs semaines au frais.",
    "Le kale se mange cru en salade, massé avec un filet d'huile.",
)


def seed_demo_association(today: date) -> int:
    return _seed_week_baskets(today) + _seed_documents()


def _lines(offer: BasketOffer, week: int) -> dict[int, list[tuple[str, str]]]:
    sizes = sorted(offer.sizes, key=lambda size: (size.position, size.id))
    if "pain" in offer.name.lower():
        return {size.id: list(BREAD) for size in sizes}
    chosen = [VEGETABLES[(week + index) % len(VEGETABLES)] for index in range(6)]
    lines = {}
    for rank, size in enumerate(sizes):
        large = rank > 0
        picked = chosen if large else chosen[:4]
        lines[size.id] = [(name, big if large else small) for name, small, big in picked]
    return lines


def _seed_week_baskets(today: date) -> int:
    created = 0
    published = db.session.scalars(
        select(BasketOffer)
        .where(BasketOffer.status == OfferStatus.PUBLISHED.value)
        .order_by(BasketOffer.id)
    ).all()
    for offer in published:
        for week, day in enumerate(coming_days(offer, today)[:DAYS_ANNOUNCED]):
            exists = db.session.scalar(
                select(WeekBasket.id).where(
                    WeekBasket.offer_id == offer.id, WeekBasket.distribution_day_id == day.id
                )
            )
            if exists is not None:
                continue
            basket = WeekBasket(
                offer_id=offer.id, distribution_day_id=day.id, note=NOTES[week % len(NOTES)]
            )
            for size_id, lines in _lines(offer, day.day.isocalendar().week).items():
                basket.items.extend(
                    WeekBasketItem(size_id=size_id, position=position, name=name, quantity=qty)
                    for position, (name, qty) in enumerate(lines)
                )
            db.session.add(basket)
            created += 1
    db.session.flush()
    return created


def _pdf(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and a few lines (Helvetica, Latin-1 text)."""
    text = ["BT", "/F1 18 Tf", "56 780 Td", f"({_escaped(title)}) Tj", "/F1 11 Tf"]
    for line in lines:
        text += ["0 -22 Td", f"({_escaped(line)}) Tj"]
    text.append("ET")
    stream = "\n".join(text).encode("cp1252", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    output = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(output))
        output += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(output)
    output += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    output += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    output += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(output)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _seed_documents() -> int:
    group = db.session.scalar(select(Group).where(Group.slug == "amap-croix-rousse"))
    if group is None:
        return 0
    offer = db.session.scalar(
        select(BasketOffer).where(BasketOffer.group_id == group.id).order_by(BasketOffer.id)
    )
    documents = [
        (
            "Charte de l'AMAP",
            Audience.PUBLIC,
            None,
            "charte-amap.pdf",
            [
                "Nous nous engageons aux côtés de nos producteur·rices pour une saison entière.",
                "Chaque foyer tient au moins deux permanences de distribution par saison.",
                "Le fonds de solidarité permet à chacun·e de rejoindre l'AMAP.",
            ],
        ),
        (
            "Compte rendu de l'assemblée générale",
            Audience.MEMBERS,
            None,
            "compte-rendu-ag.pdf",
            [
                "Présent·es : 42 foyers, 3 producteur·rices.",
                "Rapport moral et financier adoptés à l'unanimité.",
                "Nouveau lieu de distribution à l'étude pour la saison prochaine.",
            ],
        ),
    ]
    if offer is not None:
        documents.append(
            (
                f"Conditions du contrat « {offer.name} »",
                Audience.SUBSCRIBERS,
                offer.id,
                "conditions-contrat.pdf",
                [
                    "Le contrat court sur toute la saison ; les paniers sont préfinancés.",
                    "Une absence prévenue 48 h à l'avance est créditée.",
                ],
            )
        )
    created = 0
    for title, audience, offer_id, filename, lines in documents:
        exists = db.session.scalar(
            select(GroupDocument.id).where(
                GroupDocument.group_id == group.id, GroupDocument.title == title
            )
        )
        if exists is not None:
            continue
        data = _pdf(title, lines)
        db.session.add(
            GroupDocument(
                group_id=group.id,
                title=title,
                audience=audience.value,
                offer_id=offer_id,
                filename=filename,
                content_type=DocumentType.PDF.value,
                size_bytes=len(data),
                data=data,
            )
        )
        created += 1
    db.session.flush()
    return created
