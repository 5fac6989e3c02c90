"""Coordinators and producers write to a segment of a group: preview, sending, statuses."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.extensions import db
from marketplace.messages.models import GroupMessage, MessageRecipient
from marketplace.outbox.models import OutboxMessage
from tests import factories
from tests.helpers import count_queries, message_text


def page(response) -> str:
    return response.get_data(as_text=True)


def member(group, name: str, **values):
    user = factories.UserFactory(name=name, **values)
    factories.MembershipFactory(user=user, organisation=group, role="member")
    return user


@pytest.fixture
def contract():
    offer = factories.BasketOfferFactory(name="Légumes de la Ferme du Val")
    return offer


def subscriber(offer, name: str, **values):
    user = member(offer.group, name, **values)
    factories.SubscriptionFactory(offer=offer, user=user)
    return user


def counts() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (GroupMessage, MessageRecipient, OutboxMessage)
    )


def test_a_coordinator_previews_then_writes_to_a_contracts_subscribers(
    client, user_with_role, contract, outbox
):
    subscriber(contract, "Alice Martin", email="alice@example.org")
    subscriber(contract, "Bruno Petit", email="bruno@example.org", wants_group_messages=False)
    member(contract.group, "Chloé Sans Contrat")
    coordinator = user_with_role("coordinator", contract.group)
    url = f"/groupes/{contract.group.slug}/gestion/messages"
    form = {
        "target": f"contract:{contract.id}",
        "subject": "Pas de distribution jeudi",
        "body": "Bonjour,\nla ferme est inondée : pas de panier jeudi.",
    }

    preview = page(client.post(url, data={**form, "preview": "1"}))

    assert "1 foyer recevra ce message" in preview
    assert "Alice Martin" in preview
    assert "Chloé" not in preview
    assert "ne reçoit plus les messages du groupe" in preview
    assert counts() == (0, 0, 0)  # a preview sends nothing

    response = client.post(url, data={**form, "send": "1"})

    assert response.status_code == 302
    [received] = outbox
    assert received["To"] == "alice@example.org"
    assert received["Reply-To"] == coordinator.email
    assert "Pas de distribution jeudi" in received["Subject"]
    assert "la ferme est inondée" in message_text(received)
    assert counts() == (1, 2, 1)  # Bruno is a recipient without an email

    listing = page(client.get(url))
    assert "Pas de distribution jeudi" in listing
    message_id = db.session.scalar(select(GroupMessage.id))
    detail = page(client.get(f"{url}/{message_id}"))
    assert "Alice Martin" in detail and "envoyé" in detail
    assert "Bruno Petit" in detail and "ne reçoit plus ces messages" in detail


def test_an_essential_message_reaches_households_that_stopped_group_messages(
    client, user_with_role, contract, outbox
):
    subscriber(contract, "Bruno Petit", email="bruno@example.org", wants_group_messages=False)
    user_with_role("coordinator", contract.group)

    client.post(
        f"/groupes/{contract.group.slug}/gestion/messages",
        data={
            "target": "group",
            "subject": "Distribution annulée",
            "body": "La distribution de jeudi est annulée.",
            "essential": "y",
            "send": "1",
        },
    )

    assert [message["To"] for message in outbox] == ["bruno@example.org"]


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"body": "   "}, "Écrivez le message."),
        ({"body": "x" * 5001}, "5 000 caractères au plus."),
        ({"subject": ""}, "Indiquez l'objet du message."),
        ({"target": "unknown"}, "Choisissez à qui écrire parmi les destinataires proposés."),
        ({"target": "contract:999999"}, "Choisissez à qui écrire parmi les destinataires"),
    ],
)
def test_bad_input_is_refused_clearly_and_queues_nothing(
    client, user_with_role, contract, outbox, values, error
):
    subscriber(contract, "Alice Martin")
    user_with_role("coordinator", contract.group)
    data = {"target": "group", "subject": "Objet", "body": "Texte", "send": "1", **values}

    response = client.post(f"/groupes/{contract.group.slug}/gestion/messages", data=data)

    assert response.status_code == 200
    assert error in page(response)
    assert counts() == (0, 0, 0)
    assert outbox == []


def test_segments_that_do_not_exist_are_not_offered(client, user_with_role, contract):
    user_with_role("coordinator", contract.group)
    text = page(client.get(f"/groupes/{contract.group.slug}/gestion/messages"))
    assert '<optgroup label="Abonnés d&#39;un contrat">' in text
    assert f'<option value="contract:{contract.id}">Légumes de la Ferme du Val</option>' in text
    assert '<option value="group">Tout le groupe</option>' in text
    assert "Foyers en retard de paiement" in text
    assert "Membres dont l&#39;adhésion a expiré" in text


def test_members_whose_membership_lapsed_are_a_segment(client, user_with_role):
    from marketplace.membership import services
    from marketplace.membership.models import YearlyMembership
    from marketplace.timezones import paris_today
    from tests.membership.helpers import group_with_membership, member_of

    group = group_with_membership()
    lapsed = member_of(group, name="Denise Partie")
    renewed = member_of(group, name="Émile Fidèle")
    last_year = services.current_period(services.settings_of(group), paris_today()).previous()
    for person in (lapsed, renewed):
        db.session.add(
            YearlyMembership(
                group_id=group.id,
                user_id=person.id,
                period_starts_on=last_year.starts_on,
                period_ends_on=last_year.ends_on,
                amount_cents=1500,
            )
        )
    services.join(group, renewed, today=paris_today())
    user_with_role("coordinator", group)
    db.session.commit()

    preview = page(
        client.post(
            f"/groupes/{group.slug}/gestion/messages",
            data={
                "target": "lapsed",
                "subject": "Adhésion",
                "body": "Pensez à renouveler.",
                "preview": "1",
            },
        )
    )

    assert "1 foyer recevra ce message" in preview
    assert "Denise Partie" in preview and "Émile" not in preview


def test_households_at_a_distribution_and_its_volunteers(client, user_with_role, contract):
    alice = subscriber(contract, "Alice Martin")
    absent = subscriber(contract, "Denis Absent")
    subscription_of = {
        sub.user_id: sub
        for sub in db.session.scalars(
            select(factories.SubscriptionFactory._meta.model).where(
                factories.SubscriptionFactory._meta.model.offer_id == contract.id
            )
        )
    }
    day = factories.DistributionDayFactory(
        schedule=factories.DistributionScheduleFactory(
            pickup_point=factories.PickupPointFactory(group=contract.group)
        )
    )
    factories.DeliveryFactory(subscription=subscription_of[alice.id], distribution_day=day)
    factories.DeliveryFactory(
        subscription=subscription_of[absent.id], distribution_day=day, state="absent"
    )
    volunteer = member(contract.group, "Vera Bénévole")
    factories.ShiftSignupFactory(distribution_day=day, user=volunteer)
    user_with_role("coordinator", contract.group)
    url = f"/groupes/{contract.group.slug}/gestion/messages"
    data = {"subject": "Objet", "body": "Texte", "preview": "1"}

    at_pickup = page(client.post(url, data={**data, "target": f"pickup:{day.id}"}))
    on_duty = page(client.post(url, data={**data, "target": f"volunteers:{day.id}"}))

    assert "Alice Martin" in at_pickup and "Denis Absent" not in at_pickup
    assert "Vera Bénévole" in on_duty and "Alice Martin" not in on_duty


def test_a_producer_writes_to_its_own_subscribers_only(client, user_with_role, contract, outbox):
    subscriber(contract, "Alice Martin", email="alice@example.org")
    other = factories.BasketOfferFactory(
        supply=factories.ProducerSuppliesGroupFactory(group=contract.group), name="Pain d'ailleurs"
    )
    subscriber(other, "Olga Autre")
    user_with_role("producer_staff", contract.producer)
    url = f"/producteurs/{contract.producer.slug}/messages/{contract.group.slug}"

    text = page(client.get(url))
    assert "Légumes de la Ferme du Val" in text
    assert "Pain d'ailleurs" not in text and "Tout le groupe" not in text

    refused = client.post(
        url, data={"target": f"contract:{other.id}", "subject": "S", "body": "B", "send": "1"}
    )
    assert refused.status_code == 200
    assert "Choisissez à qui écrire" in page(refused)
    refused = client.post(url, data={"target": "group", "subject": "S", "body": "B", "send": "1"})
    assert "Choisissez à qui écrire" in page(refused)
    assert counts() == (0, 0, 0)

    client.post(
        url,
        data={
            "target": f"contract:{contract.id}",
            "subject": "Récolte",
            "body": "Bonjour",
            "send": "1",
        },
    )
    assert [message["To"] for message in outbox] == ["alice@example.org"]
    assert db.session.scalar(select(GroupMessage.producer_id)) == contract.producer.id


def test_members_and_other_groups_coordinators_are_refused(client, user_with_role, login, contract):
    url = f"/groupes/{contract.group.slug}/gestion/messages"
    data = {"target": "group", "subject": "S", "body": "B", "send": "1"}
    login(member(contract.group, "Marc Membre"))
    db.session.commit()
    assert client.post(url, data=data).status_code == 403

    user_with_role("coordinator", factories.GroupFactory())
    assert client.post(url, data=data).status_code == 403
    assert client.get(url).status_code == 403

    other_producer = factories.ProducerSuppliesGroupFactory(group=contract.group).producer
    db.session.commit()
    user_with_role("producer_staff", other_producer)
    foreign = f"/producteurs/{contract.producer.slug}/messages/{contract.group.slug}"
    assert client.post(foreign, data=data).status_code == 403
    assert counts() == (0, 0, 0)


def test_a_household_reads_its_messages_on_its_page(client, user_with_role, login, contract):
    alice = subscriber(contract, "Alice Martin")
    user_with_role("coordinator", contract.group)
    client.post(
        f"/groupes/{contract.group.slug}/gestion/messages",
        data={
            "target": "group",
            "subject": "Assemblée générale",
            "body": "Le 12 à 19 h",
            "send": "1",
        },
    )
    login(alice)

    text = page(client.get("/messages"))

    assert "Assemblée générale" in text and "Le 12 à 19 h" in text


def _send(client, group, n: int) -> None:
    for index in range(n):
        client.post(
            f"/groupes/{group.slug}/gestion/messages",
            data={"target": "group", "subject": f"Message {index}", "body": "B", "send": "1"},
        )


def test_the_message_list_takes_the_same_queries_for_1_and_10_messages(
    client, user_with_role, contract
):
    for n in range(10):
        subscriber(contract, f"Foyer {n}")
    user_with_role("coordinator", contract.group)
    url = f"/groupes/{contract.group.slug}/gestion/messages"
    _send(client, contract.group, 1)
    with count_queries() as one:
        client.get(url)
    _send(client, contract.group, 9)
    with count_queries() as ten:
        assert page(client.get(url)).count("Message ") >= 10

    assert ten.count == one.count


def test_the_recipient_list_takes_the_same_queries_for_1_and_10_households(
    client, user_with_role, contract
):
    user_with_role("coordinator", contract.group)
    url = f"/groupes/{contract.group.slug}/gestion/messages"
    subscriber(contract, "Foyer seul")
    db.session.commit()
    _send(client, contract.group, 1)
    first = db.session.scalar(select(func.max(GroupMessage.id)))
    with count_queries() as one:
        client.get(f"{url}/{first}")
    for n in range(9):
        subscriber(contract, f"Foyer {n}")
    db.session.commit()
    _send(client, contract.group, 1)
    second = db.session.scalar(select(func.max(GroupMessage.id)))
    with count_queries() as ten:
        text = page(client.get(f"{url}/{second}"))
    assert "Foyer 8" in text

    assert ten.count == one.count


def test_coordinators_see_which_addresses_bounce(client, user_with_role, contract):
    member(contract.group, "Paul Rebond", email_bouncing_since=utcnow())
    member(contract.group, "Rita Ok")
    user_with_role("coordinator", contract.group)

    members = page(client.get(f"/groupes/{contract.group.slug}/gestion/membres"))
    assert members.count("adresse en échec") == 1
    preview = page(
        client.post(
            f"/groupes/{contract.group.slug}/gestion/messages",
            data={"target": "group", "subject": "S", "body": "B", "preview": "1"},
        )
    )
    assert preview.count("adresse en échec") == 1


def test_a_household_stops_group_messages_from_its_profile(client, login, contract):
    alice = login(subscriber(contract, "Alice Martin"))
    db.session.commit()

    client.post(
        "/compte/profil",
        data={"name": "Alice Martin", "phone": "", "language": "fr", "save_profile": "1"},
    )

    db.session.refresh(alice)
    assert alice.wants_group_messages is False
    client.post(
        "/compte/profil",
        data={
            "name": "Alice Martin",
            "language": "fr",
            "wants_group_messages": "y",
            "save_profile": "1",
        },
    )
    db.session.refresh(alice)
    assert alice.wants_group_messages is True
