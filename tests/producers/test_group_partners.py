"""A group's coordinators choose the producers who supply their group (producers.group_partners)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.producers.models import ProducerSuppliesGroup
from tests import factories
from tests.helpers import count_queries
from tests.organisations.pages import as_new_request, page_text


def partners_url(group) -> str:
    return f"/groupes/{group.slug}/gestion/producteurs"


def supplier_ids(group) -> list[int]:
    return sorted(
        db.session.scalars(
            select(ProducerSuppliesGroup.producer_id).where(
                ProducerSuppliesGroup.group_id == group.id
            )
        )
    )


def offered_in_select(text: str) -> str:
    return re.search(r'<select[^>]*name="producer_id".*?</select>', text, re.DOTALL).group(0)


@pytest.fixture
def group():
    return factories.GroupFactory(name="AMAP des Tilleuls")


@pytest.fixture
def coordinator(group, user_with_role):
    return user_with_role("coordinator", group)


def test_coordinators_see_the_producers_of_their_group_and_those_they_may_add(
    client, group, coordinator
):
    linked = factories.ProducerFactory(name="Ferme des Combes", city="Yzeron")
    factories.ProducerSuppliesGroupFactory(group=group, producer=linked)
    elsewhere = factories.ProducerFactory(name="Ferme Voisine")
    factories.ProducerSuppliesGroupFactory(group=factories.GroupFactory(), producer=elsewhere)
    factories.ProducerFactory(name="Boulangerie du Moulin", city="Mornant")
    db.session.commit()

    response = client.get(partners_url(group))

    assert response.status_code == 200
    text = page_text(response)
    assert "Les producteur·rices qui livrent AMAP des Tilleuls" in text
    listed = text[text.index('id="group-producers-title"') : text.index('id="link-producer-title"')]
    assert f'href="/producteurs/{linked.slug}"' in listed and "(Yzeron)" in listed
    assert "Retirer Ferme des Combes des producteur·rices du groupe" in listed
    assert "Ferme Voisine" not in listed
    offered = offered_in_select(text)
    assert "Boulangerie du Moulin (Mornant)" in offered
    assert "Ferme Voisine" in offered
    assert "Ferme des Combes" not in offered
    assert f'href="/groupes/{group.slug}"' in text


def test_a_group_without_producers_says_so(client, group, coordinator):
    factories.ProducerFactory(name="Ferme des Combes")
    db.session.commit()
    text = page_text(client.get(partners_url(group)))
    assert "Aucun·e producteur·rice ne livre encore ce groupe." in text
    assert "Ferme des Combes" in offered_in_select(text)


def test_when_every_producer_supplies_the_group_there_is_nobody_to_add(client, group, coordinator):
    factories.ProducerSuppliesGroupFactory(group=group)
    db.session.commit()
    text = page_text(client.get(partners_url(group)))
    assert "Tou·tes les producteur·rices du territoire livrent déjà ce groupe." in text
    assert 'name="producer_id"' in text  # the remove button only
    assert "<select" not in text


def test_link_a_producer(client, group, coordinator):
    linked = factories.ProducerFactory(name="Ferme Déjà Là")
    factories.ProducerSuppliesGroupFactory(group=group, producer=linked)
    newcomer = factories.ProducerFactory(name="Boulangerie du Moulin", city="Mornant")
    db.session.commit()

    response = client.post(
        f"{partners_url(group)}/ajouter", data={"producer_id": newcomer.id}, follow_redirects=True
    )

    assert response.request.path == partners_url(group)
    text = page_text(response)
    assert "Boulangerie du Moulin livre maintenant ce groupe." in text
    assert "Retirer Boulangerie du Moulin des producteur·rices du groupe" in text
    assert supplier_ids(group) == sorted([linked.id, newcomer.id])
    # The group's public page now shows them.
    assert "Boulangerie du Moulin" in page_text(client.get(f"/groupes/{group.slug}"))


@pytest.mark.parametrize(
    ("producer_id", "message"),
    [
        ("", "Choisissez un·e producteur·rice."),
        ("abc", "Ce·tte producteur·rice est introuvable."),
        ("999999", "Ce·tte producteur·rice est introuvable."),
        ("linked", "Ferme Déjà Là livre déjà ce groupe."),
        ("group", "Ce·tte producteur·rice est introuvable."),
    ],
)
def test_linking_a_producer_with_bad_input_changes_nothing(
    client, group, coordinator, producer_id, message
):
    linked = factories.ProducerFactory(name="Ferme Déjà Là")
    factories.ProducerSuppliesGroupFactory(group=group, producer=linked)
    db.session.commit()
    producer_id = {"linked": linked.id, "group": group.id}.get(producer_id, producer_id)

    response = client.post(f"{partners_url(group)}/ajouter", data={"producer_id": producer_id})

    assert response.status_code == 200
    assert message in page_text(response)
    assert supplier_ids(group) == [linked.id]


def test_unlink_a_producer(client, group, coordinator):
    farm = factories.ProducerFactory(name="Ferme des Combes")
    factories.ProducerSuppliesGroupFactory(group=group, producer=farm)
    db.session.commit()

    response = client.post(
        f"{partners_url(group)}/retirer", data={"producer_id": farm.id}, follow_redirects=True
    )

    assert response.request.path == partners_url(group)
    text = page_text(response)
    assert "Ferme des Combes ne livre plus ce groupe." in text
    assert "Aucun·e producteur·rice ne livre encore ce groupe." in text
    assert supplier_ids(group) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Demande incomplète : rechargez la page et réessayez."),
        ({"producer_id": "abc"}, "Ce·tte producteur·rice est introuvable."),
        ({"producer_id": "999999"}, "Ce·tte producteur·rice est introuvable."),
        ({"producer_id": "other"}, "Ferme Voisine ne livre pas ce groupe."),
    ],
)
def test_unlinking_with_a_tampered_form_changes_nothing(client, group, coordinator, data, message):
    farm = factories.ProducerFactory(name="Ferme des Combes")
    factories.ProducerSuppliesGroupFactory(group=group, producer=farm)
    other = factories.ProducerFactory(name="Ferme Voisine")
    db.session.commit()
    if data.get("producer_id") == "other":
        data = {"producer_id": other.id}

    response = client.post(f"{partners_url(group)}/retirer", data=data, follow_redirects=True)

    assert message in page_text(response)
    assert supplier_ids(group) == [farm.id]


def test_members_and_producers_cannot_change_the_partners(client, group, user_with_role):
    farm = factories.ProducerFactory()
    factories.ProducerSuppliesGroupFactory(group=group, producer=farm)
    newcomer = factories.ProducerFactory()
    member = user_with_role("member", group)
    factories.MembershipFactory(user=member, organisation=farm, role="producer_staff")
    db.session.commit()

    assert client.get(partners_url(group)).status_code == 403
    response = client.post(f"{partners_url(group)}/ajouter", data={"producer_id": newcomer.id})
    assert response.status_code == 403
    response = client.post(f"{partners_url(group)}/retirer", data={"producer_id": farm.id})
    assert response.status_code == 403
    assert supplier_ids(group) == [farm.id]


def test_a_coordinator_of_another_group_is_refused(client, group, coordinator):
    other = factories.GroupFactory()
    farm = factories.ProducerFactory()
    factories.ProducerSuppliesGroupFactory(group=other, producer=farm)
    newcomer = factories.ProducerFactory()
    db.session.commit()

    assert client.get(partners_url(other)).status_code == 403
    response = client.post(f"{partners_url(other)}/ajouter", data={"producer_id": newcomer.id})
    assert response.status_code == 403
    response = client.post(f"{partners_url(other)}/retirer", data={"producer_id": farm.id})
    assert response.status_code == 403
    assert supplier_ids(other) == [farm.id]


def test_visitors_are_sent_to_log_in(client, group):
    farm = factories.ProducerFactory()
    db.session.commit()
    for response in (
        client.get(partners_url(group)),
        client.post(f"{partners_url(group)}/ajouter", data={"producer_id": farm.id}),
    ):
        assert response.status_code == 302
        assert "/compte/connexion" in response.headers["Location"]
    assert supplier_ids(group) == []


def test_site_admins_manage_any_group(client, group, admin):
    farm = factories.ProducerFactory(name="Ferme des Combes")
    db.session.commit()
    assert client.get(partners_url(group)).status_code == 200
    client.post(f"{partners_url(group)}/ajouter", data={"producer_id": farm.id})
    assert supplier_ids(group) == [farm.id]


def test_an_unknown_group_is_not_found(client, admin):
    assert client.get("/groupes/nulle-part/gestion/producteurs").status_code == 404
    assert (
        client.post("/groupes/nulle-part/gestion/producteurs/ajouter", data={}).status_code == 404
    )
    assert (
        client.post("/groupes/nulle-part/gestion/producteurs/retirer", data={}).status_code == 404
    )


def test_the_screen_runs_as_many_queries_for_2_as_for_30_producers(client, coordinator, group):
    large = factories.GroupFactory()
    factories.MembershipFactory(user=coordinator, organisation=large, role="coordinator")
    for _ in range(2):
        factories.ProducerSuppliesGroupFactory(group=group)
    for _ in range(30):
        factories.ProducerSuppliesGroupFactory(group=large)
    db.session.commit()

    def queries_for(some_group) -> int:
        as_new_request()
        with count_queries() as queries:
            assert client.get(partners_url(some_group)).status_code == 200
        return queries.count

    # Each group also has the other group's producers to choose from: 30 and 2.
    assert queries_for(group) == queries_for(large)
