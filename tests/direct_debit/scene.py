"""A group that collects its own debits, households with signed mandates, and a camt.053
statement built the way a bank writes it."""

from __future__ import annotations

from datetime import date, timedelta
from xml.sax.saxutils import escape

from marketplace.db import utcnow
from marketplace.direct_debit import mandates
from marketplace.direct_debit.models import DebitMandate
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories

ICS = "FR72ZZZ123456"
GROUP_IBAN = "FR7630006000011234567890189"
GROUP_BIC = "AGRIFRPPXXX"
HOUSEHOLD_IBANS = [
    "FR1420041010050500013M02606",
    "DE89370400440532013000",
    "FR7630001007941234567890185",
]


def group_with_settings(notice_days: int = 14):
    group = factories.GroupFactory()
    mandates.save_settings(
        group,
        mandates.SettingsData(
            creditor_id=ICS,
            creditor_name="AMAP des Tilleuls",
            iban=GROUP_IBAN,
            bic=GROUP_BIC,
            notice_days=notice_days,
        ),
    )
    return group


def signed_mandate(group, user, iban: str = HOUSEHOLD_IBANS[0], bic: str = "") -> DebitMandate:
    settings = mandates.settings_of(group.id)
    reference = mandates.new_reference(group)
    clean = mandates.clean_iban(iban)
    bank = bic or mandates.bic_of(clean) or "COBADEFFXXX"
    text = mandates.mandate_text(
        settings, reference=reference, signer=user.name, iban=clean, bic=bank, language="fr"
    )
    return mandates.sign(
        group=group,
        user=user,
        signer_name=user.name,
        iban=clean,
        bic=bank,
        shown_text=text,
        reference=reference,
        ip_address="203.0.113.7",
        now=utcnow(),
        today=paris_today(),
    )


def debit_household(group, *, due_in_days=(10, 40), amount_cents=3000, iban_index=0):
    """A household of `group` with a signed mandate paying a contract's installments."""
    user = factories.UserFactory()
    factories.MembershipFactory(user=user, organisation=group, role="member")
    offer = factories.BasketOfferFactory(supply__group=group)
    subscription = factories.SubscriptionFactory(offer=offer, user=user, payment_method="cheque")
    installments = [
        factories.InstallmentFactory(
            subscription=subscription,
            sequence=position,
            due_on=paris_today() + timedelta(days=days),
            amount_cents=amount_cents,
        )
        for position, days in enumerate(due_in_days, start=1)
    ]
    mandate = signed_mandate(group, user, HOUSEHOLD_IBANS[iban_index % len(HOUSEHOLD_IBANS)])
    mandates.choose_for(subscription, mandate)
    db.session.flush()
    return user, subscription, installments, mandate


def camt053(entries: list[dict], statement_id: str = "STMT-1") -> bytes:
    """entries: amount_cents (signed), booked_on, reference, label, entry_ref, return_code."""
    parts = []
    for entry in entries:
        amount = abs(entry["amount_cents"])
        indicator = "CRDT" if entry["amount_cents"] > 0 else "DBIT"
        booked: date = entry["booked_on"]
        return_info = (
            f"<RtrInf><Rsn><Cd>{entry['return_code']}</Cd></Rsn></RtrInf>"
            if entry.get("return_code")
            else ""
        )
        parts.append(
            f"""<Ntry>
  <NtryRef>{escape(entry["entry_ref"])}</NtryRef>
  <Amt Ccy="EUR">{amount // 100}.{amount % 100:02d}</Amt>
  <CdtDbtInd>{indicator}</CdtDbtInd>
  <Sts>BOOK</Sts>
  <BookgDt><Dt>{booked.isoformat()}</Dt></BookgDt>
  <ValDt><Dt>{booked.isoformat()}</Dt></ValDt>
  <AcctSvcrRef>{escape(entry["entry_ref"])}</AcctSvcrRef>
  <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RDDT</Cd><SubFmlyCd>ESDD</SubFmlyCd></Fmly></Domn></BkTxCd>
  <NtryDtls><TxDtls>
    <Refs><EndToEndId>{escape(entry.get("reference", "NOTPROVIDED"))}</EndToEndId></Refs>
    <RmtInf><Ustrd>{escape(entry.get("label", ""))}</Ustrd></RmtInf>
    {return_info}
  </TxDtls></NtryDtls>
  <AddtlNtryInf>{escape(entry.get("label", ""))}</AddtlNtryInf>
</Ntry>"""
        )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">
<BkToCstmrStmt>
<GrpHdr><MsgId>MSG-{statement_id}</MsgId><CreDtTm>2026-12-07T08:00:00</CreDtTm></GrpHdr>
<Stmt>
<Id>{statement_id}</Id>
<CreDtTm>2026-12-07T08:00:00</CreDtTm>
<Acct><Id><IBAN>{GROUP_IBAN}</IBAN></Id></Acct>
{"".join(parts)}
</Stmt>
</BkToCstmrStmt>
</Document>""".encode()
