"""The direct-debit pages: coordinators only for the group's settings, batches and statements;
a household only ever sees its own mandate; lists in a fixed number of queries."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.direct_debit import batches, mandates, notices, reconcile, statements
from marketplace.direct_debit.models import DebitBatch, DebitMandate, DebitSettings, StatementLine
from marketplace.extensions import db
from marketplace.timezones import paris_today
from tests import factories
from tests.direct_debit.scene import ICS, camt053, debit_household, group_with_settings
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request

SETTINGS = {
    "creditor_id": ICS,
    "creditor_name": "AMAP des Tilleuls",
    "iban": "FR76 3000 6000 0112 3456 7890 189",
    "bic": "",
    "notice_days": "14",
}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_coordinators_set_the_creditor_and_wrong_values_change_nothing(app, client, user_with_role):
    group = factories.GroupFactory()
    user_with_role("coordinator", group)
    url = f"/groupes/{group.slug}/gestion/prelevements/reglages"
    page = client.post(url, data={**SETTINGS, "creditor_id": "FR00ZZZ123456"})
    assert page.status_code == 200 and "incorrect" in page.get_data(as_text=True)
    page = client.post(url, data={**SETTINGS, "iban": "FR7630006000011234567890188"})
    assert "IBAN est incorrect" in page.get_data(as_text=True)
    assert _count(DebitSettings) == 0
    assert client.post(url, data=SETTINGS).status_code == 302
    assert mandates.settings_of(group.id).bic == "AGRIFRPPXXX"


def test_members_and_other_coordinators_are_refused(app, client, user_with_role):
    group = group_with_settings()
    db.session.commit()
    pages = ["reglages", "lots", "releves"]
    user_with_role("member", group)
    for page in pages:
        assert client.get(f"/groupes/{group.slug}/gestion/prelevements/{page}").status_code == 403
    user_with_role("coordinator", factories.GroupFactory())
    for page in pages:
        assert client.get(f"/groupes/{group.slug}/gestion/prelevements/{page}").status_code == 403
    assert (
        client.post(f"/groupes/{group.slug}/gestion/prelevements/lots/nouveau").status_code == 403
    )


def test_a_household_signs_online_and_sees_only_its_own_mandate(app, client, login):
    group = group_with_settings()
    user = factories.UserFactory()
    factories.MembershipFactory(user=user, organisation=group, role="member")
    subscription = factories.SubscriptionFactory(
        offer=factories.BasketOfferFactory(supply__group=group), user=user
    )
    _other, other_sub, _inst, other_mandate = debit_household(group)
    db.session.commit()
    login(user)
    url = f"/groupes/{group.slug}/prelevement/mandat"
    page = client.post(url, data={"signer_name": "Camille Dupont", "iban": "FR00123", "bic": ""})
    assert "IBAN est incorrect" in page.get_data(as_text=True)
    page = client.post(
        url, data={"signer_name": "Camille Dupont", "iban": "DE89370400440532013000", "bic": ""}
    )
    text = page.get_data(as_text=True)
    assert "8 semaines" in text
    fields = dict(re.findall(r'name="(\w+)"[^>]*value="([^"]*)"', text))
    shown = re.search(r'name="shown_text" value="([^"]*)"', text, re.S).group(1)
    data = {
        name: html.unescape(fields[name]) for name in ("signer_name", "iban", "bic", "reference")
    }
    data["shown_text"] = html.unescape(shown)
    assert client.post(f"{url}/signer", data=data).status_code == 302
    mandate = db.session.scalars(select(DebitMandate).where(DebitMandate.user_id == user.id)).one()
    assert mandate.ip_address and mandate.signer_name == "Camille Dupont"
    page = client.get(url).get_data(as_text=True)
    assert mandate.reference in page and other_mandate.reference not in page
    printable = client.get(f"{url}/imprimer").get_data(as_text=True)
    assert mandate.reference in printable and other_mandate.reference not in printable
    # Someone else's contract cannot be put on this mandate.
    assert client.post(f"{url}/contrats/{other_sub.id}").status_code == 404
    assert client.post(f"{url}/contrats/{subscription.id}").status_code == 302
    db.session.expire_all()
    assert subscription.payment_method == "direct_debit"
    assert client.post(f"{url}/revoquer").status_code == 302
    db.session.expire_all()
    assert subscription.payment_method == "cheque"


def test_a_double_click_builds_one_file(app, client, user_with_role):
    group = group_with_settings(notice_days=2)
    debit_household(group, due_in_days=(2,))
    notices.send_notices(paris_today(), utcnow())
    db.session.commit()
    user_with_role("coordinator", group)
    url = f"/groupes/{group.slug}/gestion/prelevements/lots/nouveau"
    first = client.post(url, data={"request_key": "same-form"})
    second = client.post(url, data={"request_key": "same-form"})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(DebitBatch) == 1
    batch = db.session.scalars(select(DebitBatch)).one()
    download = client.get(f"/groupes/{group.slug}/gestion/prelevements/lots/{batch.id}/pain008.xml")
    assert download.status_code == 200 and b"pain.008.001.02" in download.data


def test_a_huge_upload_is_refused_clearly(app, client, user_with_role):
    group = group_with_settings()
    db.session.commit()
    user_with_role("coordinator", group)
    huge = io.BytesIO(b"<" + b"a" * statements.MAX_STATEMENT_BYTES + b">")
    page = client.post(
        f"/groupes/{group.slug}/gestion/prelevements/releves",
        data={"statement": (huge, "releve.xml")},
        content_type="multipart/form-data",
    )
    assert page.status_code == 200 and "trop gros" in page.get_data(as_text=True)
    assert _count(StatementLine) == 0


def _households(group, count):
    for position in range(count):
        debit_household(group, due_in_days=(2,), iban_index=position)


def test_the_batch_and_statement_pages_keep_their_query_count(app, client, user_with_role):
    small, large = group_with_settings(notice_days=2), group_with_settings(notice_days=2)
    _households(small, 1)
    _households(large, 10)
    notices.send_notices(paris_today(), utcnow())
    day = paris_today() + timedelta(days=1)
    for group, count in ((small, 1), (large, 10)):
        lines = [
            dict(entry_ref=f"{group.id}-{n}", amount_cents=100 + n, booked_on=day, label=f"X{n}")
            for n in range(count)
        ]
        reconcile.import_lines(
            group, statements.parse(camt053(lines), "r.xml"), by_id=1, today=day, now=utcnow()
        )
    db.session.commit()
    user_with_role("coordinator", small)
    coordinator = user_with_role("coordinator", large)
    factories.MembershipFactory(user=coordinator, organisation=small, role="coordinator")
    db.session.commit()
    for page in ("lots", "releves"):
        as_new_request()
        with count_queries() as few:
            assert (
                client.get(f"/groupes/{small.slug}/gestion/prelevements/{page}").status_code == 200
            )
        as_new_request()
        with count_queries() as many:
            assert (
                client.get(f"/groupes/{large.slug}/gestion/prelevements/{page}").status_code == 200
            )
        assert few.count == many.count, page
    batch_ids = {}
    for group in (small, large):
        batch_ids[group.id] = batches.build_batch(
            group_id=group.id,
            settings=mandates.settings_of(group.id),
            request_key=f"k{group.id}",
            created_by_id=coordinator.id,
            today=paris_today(),
        ).id
    db.session.commit()
    as_new_request()
    with count_queries() as few:
        client.get(f"/groupes/{small.slug}/gestion/prelevements/lots/{batch_ids[small.id]}")
    as_new_request()
    with count_queries() as many:
        client.get(f"/groupes/{large.slug}/gestion/prelevements/lots/{batch_ids[large.id]}")
    assert few.count == many.count, "batch"


def test_a_contracts_page_offers_the_groups_own_debit(app, client, login):
    group = group_with_settings()
    other_group = factories.GroupFactory()
    user = factories.UserFactory()
    factories.MembershipFactory(user=user, organisation=group, role="member")
    here = factories.SubscriptionFactory(
        offer=factories.BasketOfferFactory(supply__group=group), user=user
    )
    elsewhere = factories.SubscriptionFactory(
        offer=factories.BasketOfferFactory(supply__group=other_group), user=user
    )
    db.session.commit()
    login(user)
    page = client.get(f"/contrats/{here.id}").get_data(as_text=True)
    assert f"/groupes/{group.slug}/prelevement/mandat" in page
    page = client.get(f"/contrats/{elsewhere.id}").get_data(as_text=True)
    assert "direct-debit/mandate" not in page


def test_a_coordinator_records_a_return_and_others_cannot(app, client, user_with_role, outbox):
    group = group_with_settings(notice_days=2)
    _user, _sub, installments, _mandate = debit_household(group, due_in_days=(2,))
    notices.send_notices(paris_today(), utcnow())
    coordinator = user_with_role("coordinator", group, log_in=False)
    batch = batches.build_batch(
        group_id=group.id,
        settings=mandates.settings_of(group.id),
        request_key="k",
        created_by_id=coordinator.id,
        today=paris_today(),
    )
    item_id = batch.items[0].id
    db.session.commit()
    base = f"/groupes/{group.slug}/gestion/prelevements"
    user_with_role("coordinator", factories.GroupFactory())
    assert client.post(f"{base}/lignes/{item_id}/rejet", data={"code": "AM04"}).status_code == 403
    user_with_role("coordinator", group)
    answer = client.post(f"{base}/lignes/{item_id}/rejet", data={"code": "AM04"})
    assert answer.status_code == 302
    db.session.expire_all()
    assert installments[0].state == "failed"
